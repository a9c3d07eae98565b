"""Database failures: what a driver error means, said the same way for SQLite and PostgreSQL.

:func:`fault_of` reads driver exceptions (PostgreSQL by SQLSTATE class, SQLite by primary result
code) and :func:`describe` names an error without the values involved. Every statement runs
through :class:`~studio_comms.db.tx.Tx` and every transaction through ``Database``, which raise the
three kinds below instead of the driver's errors, so callers handle one set of classes:
unavailable → 503, a conflict → 409, a value the database refused → 400. Anything else (a wrong
statement) stays what it is: a bug, a 500.
"""

from __future__ import annotations

import sqlite3
from enum import Enum

import psycopg
from sqlalchemy import exc as sa


class Fault(Enum):
    # The database cannot be reached or is shutting down, overloaded or timed out: retry later.
    UNAVAILABLE = "unavailable"
    # Integrity violation, serialization failure or deadlock: another request won; retry.
    CONFLICT = "conflict"
    # A value the database cannot store (out of range, bad encoding, too long for an index).
    BAD_DATA = "bad_data"


# PostgreSQL SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_CLASSES = {
    "08": Fault.UNAVAILABLE,  # connection exception
    "53": Fault.UNAVAILABLE,  # insufficient resources (too many connections, disk full)
    "57": Fault.UNAVAILABLE,  # operator intervention (shutdown, statement timeout)
    "40": Fault.CONFLICT,  # transaction rollback (serialization failure, deadlock)
    "23": Fault.CONFLICT,  # integrity constraint violation
    "22": Fault.BAD_DATA,  # data exception
    "54": Fault.BAD_DATA,  # program limit exceeded (a value too big for an index)
}
# SQLite primary result codes (https://www.sqlite.org/rescode.html).
_SQLITE_CODES = {
    5: Fault.UNAVAILABLE,  # SQLITE_BUSY: the busy timeout ran out
    6: Fault.UNAVAILABLE,  # SQLITE_LOCKED
    7: Fault.UNAVAILABLE,  # SQLITE_NOMEM
    8: Fault.UNAVAILABLE,  # SQLITE_READONLY
    10: Fault.UNAVAILABLE,  # SQLITE_IOERR
    13: Fault.UNAVAILABLE,  # SQLITE_FULL
    14: Fault.UNAVAILABLE,  # SQLITE_CANTOPEN
    19: Fault.CONFLICT,  # SQLITE_CONSTRAINT
    18: Fault.BAD_DATA,  # SQLITE_TOOBIG
    20: Fault.BAD_DATA,  # SQLITE_MISMATCH
    25: Fault.BAD_DATA,  # SQLITE_RANGE
}


def driver_error(error: BaseException) -> BaseException:
    """The driver's exception behind SQLAlchemy's wrapper (or ``error`` itself)."""
    if isinstance(error, sa.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def fault_of(error: BaseException) -> Fault | None:
    """What ``error`` means, or None when it is not a database fault (a bug: answer 500)."""
    if isinstance(error, DatabaseError):
        return error.fault
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return Fault.UNAVAILABLE
    if isinstance(error, sa.TimeoutError | sa.DisconnectionError):
        return Fault.UNAVAILABLE  # no pooled connection became free in time
    orig = driver_error(error)
    if isinstance(orig, psycopg.Error):
        if orig.sqlstate:
            return _PG_CLASSES.get(orig.sqlstate[:2])
        # Raised by the driver itself: a connection that failed or closed, a value it cannot send
        # (a NUL byte in a string).
        if isinstance(orig, psycopg.DataError):
            return Fault.BAD_DATA
        if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError):
            return Fault.UNAVAILABLE
        return None
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return _SQLITE_CODES.get(code & 0xFF)
        return Fault.BAD_DATA if isinstance(orig, sqlite3.DataError) else None
    return None


def describe(error: BaseException) -> str:
    """One log line about ``error`` without the values involved.

    Drivers put values in their messages (PostgreSQL's DETAIL: ``Key (email)=(erika@…)``, an
    invalid input echoed back), and SQLAlchemy adds the statement. This names the error class,
    SQLSTATE or SQLite code and the constraint, table and column instead. The driver's own first
    line is kept only where it holds no data of ours: a connection fault, and SQLite's messages
    (which name columns, never values).
    """
    if isinstance(error, DatabaseError):
        return str(error)  # described when it was translated
    orig = driver_error(error)
    parts = [type(orig).__name__]
    if isinstance(orig, psycopg.Error):
        if orig.sqlstate:
            parts.append(f"SQLSTATE {orig.sqlstate}")
        diag = orig.diag
        for label, name in (
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
        ):
            if name:
                parts.append(f"{label} {name}")
    elif isinstance(orig, sqlite3.Error) and getattr(orig, "sqlite_errorname", None):
        parts.append(str(orig.sqlite_errorname))
    if fault_of(error) is Fault.UNAVAILABLE or isinstance(orig, sqlite3.Error):
        first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else ""
        if first_line:
            parts.append(first_line)
    return ": ".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else parts[0]


class DatabaseError(Exception):
    """A driver error, translated; its message is :func:`describe`'s (no values)."""

    fault: Fault


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached, is shutting down or too busy: retrying later can succeed."""

    fault = Fault.UNAVAILABLE


class DatabaseBusy(DatabaseUnavailable):
    """SQLite's lock is held elsewhere (SQLITE_BUSY, SQLITE_LOCKED). On a worker thread the busy
    timeout has run out: unavailable. On the event loop, where the timeout is zero, it means
    "this unit would have to wait": ``Database.on_loop`` hands it to a thread instead."""


class ConstraintViolation(DatabaseError):
    """A constraint refused the change, or a serialization failure: another writer won; retry."""

    fault = Fault.CONFLICT


class ValueRefused(DatabaseError):
    """The database refused a value (a NUL byte in text, a number out of range)."""

    fault = Fault.BAD_DATA


_KINDS: dict[Fault, type[DatabaseError]] = {
    Fault.UNAVAILABLE: DatabaseUnavailable,
    Fault.CONFLICT: ConstraintViolation,
    Fault.BAD_DATA: ValueRefused,
}


def translate(error: BaseException) -> BaseException:
    """The kind of ``error``; ``error`` itself when it is none of them (or already one)."""
    if isinstance(error, DatabaseError):
        return error
    fault = fault_of(error)
    if fault is None:
        return error
    if _sqlite_busy(error):
        return DatabaseBusy(describe(error))
    return _KINDS[fault](describe(error))


def _sqlite_busy(error: BaseException) -> bool:
    orig = driver_error(error)
    code = getattr(orig, "sqlite_errorcode", None) if isinstance(orig, sqlite3.Error) else None
    return code is not None and code & 0xFF in (5, 6)
