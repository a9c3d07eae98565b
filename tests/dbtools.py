"""ORM sessions for tests: the service runs plain SQL (``db.tx``), tests may inspect and set up
rows through the models, on the same connection as the app under test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from studio_comms.db.database import ConnectionBoundDatabase, Database


@contextmanager
def orm(db: Database) -> Iterator[Session]:
    """A session that sees what the app wrote; on a connection-bound database its changes stay
    inside the test's transaction (a savepoint), so they are rolled back with it."""
    if isinstance(db, ConnectionBoundDatabase):
        session = Session(bind=db.outer, join_transaction_mode="create_savepoint", expire_on_commit=False)
    else:
        session = Session(bind=db.engine, expire_on_commit=False)
    with session:
        yield session
