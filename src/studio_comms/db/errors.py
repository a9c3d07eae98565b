"""Database failures in three kinds, the same for SQLite and PostgreSQL.

Every statement runs through :class:`~studio_comms.db.tx.Tx`, which turns driver errors into these,
so the API maps one set of classes to answers: unavailable → 503, a constraint → 409, a value
the database refuses → 400. Anything else (a wrong statement) stays what it is: a bug, a 500.
"""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import DBAPIError


class DatabaseError(Exception):
    pass


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached or is too busy: retrying later can succeed."""


class ConstraintViolation(DatabaseError):
    """A unique or foreign key constraint refused the change (usually a concurrent writer)."""


class ValueRefused(DatabaseError):
    """The database refused a value (a NUL byte in text, a number out of range)."""


# SQLite reports these as OperationalError too; the rest of its OperationalErrors are bugs.
_SQLITE_UNAVAILABLE = ("database is locked", "disk i/o error", "unable to open", "disk is full", "busy")


def translate(error: Exception) -> Exception:
    """The kind of ``error``; ``error`` itself when it is none of them."""
    if isinstance(error, DBAPIError) and isinstance(error.orig, Exception):
        # The pool (opening a connection) wraps the driver's error.
        kind = translate(error.orig)
        return error if kind is error.orig else kind
    if isinstance(error, psycopg.Error):
        if isinstance(error, psycopg.IntegrityError):
            return ConstraintViolation(type(error).__name__)
        if isinstance(error, psycopg.DataError):
            return ValueRefused(type(error).__name__)
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            return DatabaseUnavailable(type(error).__name__)
        return error
    if isinstance(error, sqlite3.Error):
        if isinstance(error, sqlite3.IntegrityError):
            return ConstraintViolation(type(error).__name__)
        if isinstance(error, sqlite3.DataError):
            return ValueRefused(type(error).__name__)
        if isinstance(error, sqlite3.OperationalError) and str(error).lower().startswith(_SQLITE_UNAVAILABLE):
            return DatabaseUnavailable(str(error))
        return error
    return error
