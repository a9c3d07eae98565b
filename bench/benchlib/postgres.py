"""The PostgreSQL side of the bench: a throw-away database per run and its backends' CPU."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import psycopg

from benchlib.procs import BenchError, cpu_ticks_of, log


class Postgres:
    """Admin connection to create/drop the bench database and to read its backends' CPU."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        try:
            self.conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        except psycopg.Error as error:
            raise BenchError(f"cannot connect to PostgreSQL at {admin_url}: {error}") from error

    def version(self) -> str:
        row = self.conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def url_for(self, name: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{name}"

    @contextlib.contextmanager
    def database(self) -> Iterator[tuple[str, str]]:
        """(name, url) of a new empty database, dropped afterwards."""
        name = "sc_bench_" + secrets.token_hex(6)
        self.conn.execute(f'CREATE DATABASE "{name}"')
        log(f"created PostgreSQL database {name}")
        try:
            yield name, self.url_for(name)
        finally:
            self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            log(f"dropped PostgreSQL database {name}")

    def backend_ticks(self, dbname: str) -> dict[int, int]:
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchall()
        return {int(pid): cpu_ticks_of(int(pid)) for (pid,) in rows}

    def sessions(self, dbname: str) -> int:
        """Connections ever opened to the database (pg_stat_database.sessions, PostgreSQL 14+)."""
        row = self.conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (dbname,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def admin_if(needed: bool, url: str) -> Iterator[Postgres | None]:
    """The admin connection when a PostgreSQL run is asked for, closed afterwards."""
    pg = Postgres(url) if needed else None
    try:
        yield pg
    finally:
        if pg is not None:
            pg.close()
