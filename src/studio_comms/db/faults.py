"""What a database error means for the caller: the one place that reads driver exceptions.

Every path (the raw-SQL reads, ORM sessions, the worker, readiness) asks :func:`fault_of` what
went wrong and :func:`describe` how to log it. PostgreSQL errors are told apart by SQLSTATE class,
SQLite ones by their primary result code, so the answer is the same on both databases.
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
