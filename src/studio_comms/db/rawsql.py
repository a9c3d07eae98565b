"""Plain SQL on the driver connection, for the two reads every API request makes.

Measured on this machine (docs/benchmarks.md): authenticating a key and loading a customer's
preference state cost ~0.06 ms as plain SQL and ~0.9 ms through the ORM session, against a
0.45 ms framework ceiling. The SQL here is standard and runs unchanged on SQLite and PostgreSQL;
only the placeholder style differs, and :meth:`Sql.for_dialect` is the one place that knows it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

_NAMED = re.compile(r"(?<!:):(\w+)")


class Sql:
    """A statement written with ``:name`` placeholders, prepared once for each driver style."""

    def __init__(self, text: str) -> None:
        self.text = " ".join(text.split())
        # psycopg takes %(name)s; sqlite3 takes :name as written.
        self._pyformat = _NAMED.sub(r"%(\1)s", self.text.replace("%", "%%"))

    def for_dialect(self, dialect: str) -> str:
        return self.text if dialect == "sqlite" else self._pyformat


class RawConnection:
    """The driver connection of a transaction someone else opened and will end."""

    def __init__(self, driver_connection: Any, dialect: str) -> None:
        self._connection = driver_connection
        self.dialect = dialect

    def rows(self, sql: Sql, **params: Any) -> list[tuple[Any, ...]]:
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql.for_dialect(self.dialect), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def of_session(session: Session) -> RawConnection:
    """The session's own connection and transaction (so plain SQL sees its uncommitted rows).

    Pending ORM changes are flushed first: plain SQL does not trigger SQLAlchemy's autoflush.
    """
    session.flush()
    connection = session.connection()
    return RawConnection(connection.connection.driver_connection, connection.dialect.name)
