from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.communications.models import Communication, CommunicationThread


class ThreadsRepository:
    """A studio's threads; every query filters by studio and customer."""

    def __init__(self, session: Session, studio_id: int) -> None:
        self.session = session
        self.studio_id = studio_id

    def get(self, customer_id: int, thread_id: int, *, lock: bool = False) -> CommunicationThread | None:
        """Another customer's or studio's thread is simply not found."""
        query = select(CommunicationThread).where(
            CommunicationThread.id == thread_id,
            CommunicationThread.studio_id == self.studio_id,
            CommunicationThread.customer_id == customer_id,
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def add(self, thread: CommunicationThread) -> None:
        assert thread.studio_id == self.studio_id
        self.session.add(thread)
        self.session.flush()

    def add_communication(self, communication: Communication) -> None:
        assert communication.studio_id == self.studio_id
        self.session.add(communication)
        self.session.flush()

    def newest_first(
        self, customer_id: int, *, status: str | None, before_id: int | None, limit: int
    ) -> list[CommunicationThread]:
        query = (
            select(CommunicationThread)
            .where(
                CommunicationThread.studio_id == self.studio_id,
                CommunicationThread.customer_id == customer_id,
            )
            .order_by(CommunicationThread.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(CommunicationThread.status == status)
        if before_id is not None:
            query = query.where(CommunicationThread.id < before_id)
        return list(self.session.scalars(query))

    def communications(self, thread_id: int) -> list[Communication]:
        return list(
            self.session.scalars(
                select(Communication)
                .where(Communication.thread_id == thread_id, Communication.studio_id == self.studio_id)
                .order_by(Communication.id)
            )
        )
