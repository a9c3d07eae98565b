"""Engine construction: driver choice and SQLite pragmas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

# Execution option read by the SQLite ``begin`` hook: write requests start with BEGIN IMMEDIATE
# so that two writers queue on the busy timeout instead of failing when a read lock is upgraded.
SQLITE_BEGIN_OPTION = "sqlite_begin"


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would default to psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, *, pool_size: int = 8, **kwargs: Any) -> Engine:
    """The request path never holds more than ``pool_size`` connections (``core.context``), so
    connections are reused instead of opened per request; the overflow serves health checks."""
    url = normalize_url(url)
    # Statement values (secrets, names, subjects) never go into exception messages, so no log
    # line can carry them.
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("pool_size", pool_size)
    kwargs.setdefault("max_overflow", 4)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    # Every session speaks UTC, so psycopg hands timestamps back as aware UTC datetimes and rows
    # need no conversion of their own (db.rows); options the URL gives are kept.
    connect_args = kwargs.setdefault("connect_args", {})
    given = connect_args.get("options") or make_url(url).query.get("options") or ""
    connect_args["options"] = f"{given} -c TimeZone=UTC".strip()
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    else:
        # An in-memory database lives in one connection (SingletonThreadPool): no pool to size.
        kwargs.pop("pool_size", None)
        kwargs.pop("max_overflow", None)
    kwargs.setdefault("connect_args", {}).setdefault("check_same_thread", False)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling emits BEGIN late and breaks SAVEPOINT; take it over
        # (the documented SQLAlchemy workaround) and set the pragmas every connection needs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine
