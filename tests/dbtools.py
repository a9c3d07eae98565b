"""ORM sessions for tests: the service runs plain SQL (``db.tx``), tests may inspect and set up
rows through the models, on the test's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from studio_comms.db.database import Database


@contextmanager
def orm(db: Database) -> Iterator[Session]:
    """A session on the database the app under test uses: it sees what the app committed, and
    what it adds is seen by the app once committed (``session.commit()``). Keep it short on
    SQLite: an open write would hold the database's one write lock."""
    with Session(bind=db.engine, expire_on_commit=False) as session:
        yield session
