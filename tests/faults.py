"""Real database faults at a chosen moment: PostgreSQL ends the backend of one of our connections.

Nothing is simulated: the connection the app is about to use is terminated by the server
(``pg_terminate_backend``, waiting until the backend is gone), so the app meets the driver errors a
PostgreSQL restart or a network cut produces. Only the connections of the engine given are touched.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from studio_comms.db.engine import normalize_url
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx


class BackendKiller:
    def __init__(self, engine: Engine, admin_url: str) -> None:
        self.engine = engine
        self._admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
        self._lock = threading.Lock()
        self._at_checkout = 0
        self._before: re.Pattern[str] | None = None
        self.killed = 0

    def at_next_checkout(self, times: int = 1) -> None:
        """The next ``times`` connections taken from the pool are dead before their first statement."""
        with self._lock:
            self._at_checkout = times

    def before_statement(self, pattern: str | None) -> None:
        """Kill the connection just before it sends a statement matching ``pattern`` (None: stop)."""
        self._before = re.compile(pattern, re.IGNORECASE) if pattern else None

    def kill(self, driver_connection: Any) -> None:
        pid = driver_connection.info.backend_pid
        with self._admin.connect() as admin:
            assert admin.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        self.killed += 1

    def _on_checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        with self._lock:
            if self._at_checkout <= 0:
                return
            self._at_checkout -= 1
        self.kill(dbapi_connection)

    def _on_statement(self, driver_connection: Any, statement: str) -> None:
        pattern = self._before
        if pattern is not None and pattern.search(statement):
            self._before = None
            self.kill(driver_connection)

    def close(self) -> None:
        self._admin.dispose()


@contextmanager
def backend_killer(engine: Engine, admin_url: str) -> Iterator[BackendKiller]:
    """Statements run on the driver connection (``Tx``), past SQLAlchemy's events: the killer
    watches them where they are sent."""
    killer = BackendKiller(engine, admin_url)
    execute = Tx._execute

    def watched(tx: Tx, sql: Sql, params: Any) -> Any:
        killer._on_statement(tx._connection, sql.text)
        return execute(tx, sql, params)

    event.listen(engine, "checkout", killer._on_checkout)
    Tx._execute = watched  # type: ignore[method-assign]
    try:
        yield killer
    finally:
        Tx._execute = execute  # type: ignore[method-assign]
        event.remove(engine, "checkout", killer._on_checkout)
        killer.close()


def database_away(admin: Engine, database: str, application_name: str, seconds: float) -> None:
    """For ``seconds`` the database refuses new connections and the backends of
    ``application_name`` are ended: what a restart looks like to the service, without restarting
    the cluster that other test runs share."""
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false'))
        try:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = :a"
                ),
                {"a": application_name},
            )
            time.sleep(seconds)
        finally:
            connection.execute(text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true'))
