"""A studio's threads and their communications; every statement is scoped to the studio (and,
for the API, to the customer: another customer's thread is simply not found)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql


@dataclass(slots=True)
class ThreadRow:
    id: int
    customer_id: int
    status: str
    # The subject of the first communication: the thread's title in a timeline.
    subject: str
    # The category named by the first communication, if it named one.
    message_category: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class NewCommunication:
    """One message of a thread, with the authorization receipt of an OUTGOING one."""

    thread_id: int
    customer_id: int
    thread_status: str
    direction: str
    channel: str
    message_category: str
    subject: str
    content: str
    ticket_number: str | None
    ticket_link: str | None
    agent: str | None
    communicated_at: datetime
    created_at: datetime
    request_id: str | None
    authorization_permitted: bool | None = None
    authorization_rule: str | None = None
    authorization_ledger_entry_id: int | None = None
    authorization_block_reason: str | None = None
    authorization_enforcement: str | None = None
    authorized_at: datetime | None = None


@dataclass(slots=True)
class CommunicationRow(NewCommunication):
    id: int = 0


@dataclass(slots=True)
class DeliveryEventRow:
    communication_id: int
    message_id: int
    status: str
    reason: str | None
    occurred_at: datetime


_THREAD_COLUMNS = "id, customer_id, status, subject, message_category, created_at, updated_at"
_THREAD = Sql(
    f"""
    SELECT {_THREAD_COLUMNS} FROM communication_threads
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND id = :id
    """,
    row=ThreadRow,
)
_THREAD_FOR_UPDATE = Sql(
    f"""
    SELECT {_THREAD_COLUMNS} FROM communication_threads
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND id = :id FOR UPDATE
    """,
    row=ThreadRow,
)
_NEWEST_FIRST = Sql(
    f"""
    SELECT {_THREAD_COLUMNS} FROM communication_threads
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND id < :before
    ORDER BY id DESC LIMIT :limit
    """,
    row=ThreadRow,
)
_NEWEST_FIRST_WITH_STATUS = Sql(
    f"""
    SELECT {_THREAD_COLUMNS} FROM communication_threads
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND id < :before AND status = :status
    ORDER BY id DESC LIMIT :limit
    """,
    row=ThreadRow,
)
_ADD_THREAD = Sql(
    """
    INSERT INTO communication_threads
      (studio_id, customer_id, status, subject, message_category, created_at, updated_at)
    VALUES (:studio_id, :customer_id, :status, :subject, :message_category, :now, :now)
    RETURNING id
    """
)
_SET_STATUS = Sql(
    """
    UPDATE communication_threads SET status = :status, updated_at = :now
    WHERE studio_id = :studio_id AND id = :id
    """
)
_COMMUNICATION_COLUMNS = """
    thread_id, customer_id, thread_status, direction, channel, message_category, subject, content,
    ticket_number, ticket_link, agent, communicated_at, created_at, request_id, authorization_permitted,
    authorization_rule, authorization_ledger_entry_id, authorization_block_reason,
    authorization_enforcement, authorized_at, id
"""
_COMMUNICATIONS = Sql(
    f"""
    SELECT {_COMMUNICATION_COLUMNS} FROM communications
    WHERE studio_id = :studio_id AND thread_id = :thread_id ORDER BY id
    """,
    row=CommunicationRow,
)
_ADD_COMMUNICATION = Sql(
    """
    INSERT INTO communications
      (studio_id, thread_id, customer_id, thread_status, direction, channel, message_category, subject,
       content, ticket_number, ticket_link, agent, communicated_at, created_at, request_id,
       authorization_permitted, authorization_rule, authorization_ledger_entry_id,
       authorization_block_reason, authorization_enforcement, authorized_at)
    VALUES
      (:studio_id, :thread_id, :customer_id, :thread_status, :direction, :channel, :message_category,
       :subject, :content, :ticket_number, :ticket_link, :agent, :communicated_at, :created_at,
       :request_id, :authorization_permitted, :authorization_rule, :authorization_ledger_entry_id,
       :authorization_block_reason, :authorization_enforcement, :authorized_at)
    RETURNING id
    """
)
_ADD_DELIVERY_EVENT = Sql(
    """
    INSERT INTO communication_delivery_events
      (studio_id, thread_id, communication_id, message_id, status, reason, occurred_at)
    VALUES (:studio_id, :thread_id, :communication_id, :message_id, :status, :reason, :now)
    """
)
_DELIVERY_EVENTS = Sql(
    """
    SELECT communication_id, message_id, status, reason, occurred_at FROM communication_delivery_events
    WHERE studio_id = :studio_id AND thread_id = :thread_id ORDER BY id
    """,
    row=DeliveryEventRow,
)


_NEW_COMMUNICATION_FIELDS = fields(NewCommunication)


class ThreadsRepository(StudioScoped):
    def get(self, customer_id: int, thread_id: int, *, lock: bool = False) -> ThreadRow | None:
        """Another customer's or studio's thread is simply not found."""
        return self._row(_THREAD_FOR_UPDATE if lock else _THREAD, customer_id=customer_id, id=thread_id)

    def add(self, customer_id: int, *, status: str, subject: str, category: str | None, now: datetime) -> int:
        thread_id: int = self._scalar(
            _ADD_THREAD,
            customer_id=customer_id,
            status=status,
            subject=subject,
            message_category=category,
            now=now,
        )
        return thread_id

    def set_status(self, thread_id: int, status: str, *, now: datetime) -> None:
        self._run(_SET_STATUS, id=thread_id, status=status, now=now)

    def add_communication(self, communication: NewCommunication) -> CommunicationRow:
        # Shallow: dataclasses.asdict deep-copies every value (a fifth of a POST's CPU, py-spy).
        values = {field.name: getattr(communication, field.name) for field in _NEW_COMMUNICATION_FIELDS}
        new_id: int = self._scalar(_ADD_COMMUNICATION, **values)
        return CommunicationRow(**values, id=new_id)

    def newest_first(
        self, customer_id: int, *, status: str | None, before: int, limit: int
    ) -> list[ThreadRow]:
        params: dict[str, Any] = {"customer_id": customer_id, "before": before, "limit": limit}
        if status is None:
            return self._rows(_NEWEST_FIRST, **params)
        return self._rows(_NEWEST_FIRST_WITH_STATUS, status=status, **params)

    def communications(self, thread_id: int) -> list[CommunicationRow]:
        return self._rows(_COMMUNICATIONS, thread_id=thread_id)

    def add_delivery_event(
        self,
        thread_id: int,
        communication_id: int,
        *,
        message_id: int,
        status: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        self._run(
            _ADD_DELIVERY_EVENT,
            thread_id=thread_id,
            communication_id=communication_id,
            message_id=message_id,
            status=status,
            reason=reason,
            now=now,
        )

    def delivery_events(self, thread_id: int) -> list[DeliveryEventRow]:
        return self._rows(_DELIVERY_EVENTS, thread_id=thread_id)
