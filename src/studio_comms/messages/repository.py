"""A studio's messages, their status history, batches and delivery settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import CHUNK_SIZES, Sql, chunks, numbered, repeated


@dataclass(slots=True)
class MessageRow:
    id: int
    customer_id: int
    batch_id: int | None
    thread_id: int | None
    communication_id: int | None
    channel: str
    category: str
    subject: str | None
    content: str
    html: str | None
    status: str
    status_reason: str | None
    send_at: datetime
    attempts: int
    provider_message_id: str | None
    message_id_header: str | None
    created_at: datetime
    marketing: bool


_COLUMNS = """
    id, customer_id, batch_id, thread_id, communication_id, channel, category, subject, content, html,
    status, status_reason, send_at, attempts, provider_message_id, message_id_header, created_at,
    marketing
"""
_GET = Sql(f"SELECT {_COLUMNS} FROM messages WHERE studio_id = :studio_id AND id = :id", row=MessageRow)
_GET_FOR_UPDATE = Sql(
    f"SELECT {_COLUMNS} FROM messages WHERE studio_id = :studio_id AND id = :id FOR UPDATE", row=MessageRow
)
_BY_PROVIDER_ID = Sql(
    f"""
    SELECT {_COLUMNS} FROM messages
    WHERE studio_id = :studio_id AND provider_message_id = :provider_message_id FOR UPDATE
    """,
    row=MessageRow,
)
_INSERT = Sql(
    """
    INSERT INTO messages
      (studio_id, customer_id, batch_id, thread_id, communication_id, channel, category, subject, content,
       html, status, send_at, attempts, created_at, updated_at, marketing)
    VALUES
      (:studio_id, :customer_id, :batch_id, :thread_id, :communication_id, :channel, :category, :subject,
       :content, :html, :status, :send_at, 0, :now, :now, :marketing)
    RETURNING id
    """
)
# A bulk request's messages share everything but the member and the texts; the batch's ids are
# read afterwards (a multi-row INSERT's RETURNING order is not promised).
_BATCH_ROW = """
    (:studio_id, :customer_id_{i}, :batch_id, NULL, NULL, :channel, :category, :subject_{i},
     :content_{i}, :html_{i}, :status, :send_at, 0, :now, :now, :marketing)
"""
_INSERT_BATCH = {
    size: Sql(
        f"""
        INSERT INTO messages
          (studio_id, customer_id, batch_id, thread_id, communication_id, channel, category, subject,
           content, html, status, send_at, attempts, created_at, updated_at, marketing)
        VALUES {repeated(_BATCH_ROW, size)}
        """
    )
    for size in CHUNK_SIZES
}


@dataclass(slots=True)
class _MessageId:
    id: int


_BATCH_IDS = Sql(
    "SELECT id FROM messages WHERE studio_id = :studio_id AND batch_id = :batch_id ORDER BY id",
    row=_MessageId,
)
_SAVE = Sql(
    """
    UPDATE messages SET status = :status, status_reason = :status_reason, attempts = :attempts,
      provider_message_id = :provider_message_id, message_id_header = :message_id_header,
      thread_id = :thread_id, communication_id = :communication_id, updated_at = :now
    WHERE studio_id = :studio_id AND id = :id
    """
)
_ADD_CHANGE = Sql(
    """
    INSERT INTO message_status_changes
      (studio_id, message_id, previous_status, status, reason, decision_rule, ledger_entry_id,
       block_reason, occurred_at)
    VALUES
      (:studio_id, :message_id, :previous_status, :status, :reason, :decision_rule, :ledger_entry_id,
       :block_reason, :occurred_at)
    """
)
# The acceptance of a bulk request's messages: one decision per member, the rest shared.
_ACCEPTED_ROW = """
    (:studio_id, :message_id_{i}, NULL, :status, NULL, :decision_rule_{i}, :ledger_entry_id_{i},
     :block_reason_{i}, :occurred_at)
"""
_ADD_ACCEPTED = {
    size: Sql(
        f"""
        INSERT INTO message_status_changes
          (studio_id, message_id, previous_status, status, reason, decision_rule, ledger_entry_id,
           block_reason, occurred_at)
        VALUES {repeated(_ACCEPTED_ROW, size)}
        """
    )
    for size in CHUNK_SIZES
}


@dataclass(slots=True)
class StatusChange:
    previous_status: str | None
    status: str
    reason: str | None
    occurred_at: datetime
    decision_rule: str | None = None
    ledger_entry_id: int | None = None
    block_reason: str | None = None


_CHANGES = Sql(
    """
    SELECT previous_status, status, reason, occurred_at, decision_rule, ledger_entry_id, block_reason
    FROM message_status_changes WHERE studio_id = :studio_id AND message_id = :message_id ORDER BY id
    """,
    row=StatusChange,
)
_ADD_BATCH = Sql(
    """
    INSERT INTO message_batches
      (studio_id, channel, category, subject, content, html, accepted, refused, created_at)
    VALUES (:studio_id, :channel, :category, :subject, :content, :html, :accepted, :refused, :now)
    RETURNING id
    """
)


@dataclass(slots=True)
class BatchRow:
    id: int
    channel: str
    category: str
    accepted: int
    refused: int
    created_at: datetime


_BATCH = Sql(
    """
    SELECT id, channel, category, accepted, refused, created_at FROM message_batches
    WHERE studio_id = :studio_id AND id = :id
    """,
    row=BatchRow,
)


@dataclass(slots=True)
class _StatusCount:
    status: str
    messages: int


_BATCH_COUNTS = Sql(
    """
    SELECT status, COUNT(*) AS messages FROM messages WHERE studio_id = :studio_id AND batch_id = :batch_id
    GROUP BY status
    """,
    row=_StatusCount,
)


@dataclass(slots=True)
class SettingsRow:
    email_from: str | None
    quiet_hours: dict[str, list[str]] | None
    general_is_marketing: bool = True


_SETTINGS = Sql(
    """
    SELECT email_from, quiet_hours, general_is_marketing FROM message_settings
    WHERE studio_id = :studio_id
    """,
    row=SettingsRow,
)
_SET_SETTINGS = Sql(
    """
    INSERT INTO message_settings (studio_id, email_from, quiet_hours, general_is_marketing, updated_at)
    VALUES (:studio_id, :email_from, :quiet_hours, :general_is_marketing, :now)
    ON CONFLICT (studio_id) DO UPDATE SET email_from = excluded.email_from,
      quiet_hours = excluded.quiet_hours, general_is_marketing = excluded.general_is_marketing,
      updated_at = excluded.updated_at
    """
)


@dataclass(frozen=True, slots=True)
class NewMessage:
    customer_id: int
    channel: str
    category: str
    subject: str | None
    content: str
    html: str | None
    status: str
    send_at: datetime
    batch_id: int | None = None
    thread_id: int | None = None
    communication_id: int | None = None
    marketing: bool = False


@dataclass(frozen=True, slots=True)
class BatchMessages:
    """What a bulk request's messages share."""

    batch_id: int
    channel: str
    category: str
    status: str
    send_at: datetime
    marketing: bool = False


@dataclass(frozen=True, slots=True)
class MemberText:
    customer_id: int
    subject: str | None
    content: str
    html: str | None


class MessagesRepository(StudioScoped):
    def get(self, message_id: int, *, lock: bool = False) -> MessageRow | None:
        return self._row(_GET_FOR_UPDATE if lock else _GET, id=message_id)

    def by_provider_id(self, provider_message_id: str) -> MessageRow | None:
        """Locked: a provider's callbacks for one message are recorded one after the other."""
        return self._row(_BY_PROVIDER_ID, provider_message_id=provider_message_id)

    def add(self, message: NewMessage, *, now: datetime) -> int:
        new_id: int = self._scalar(_INSERT, now=now, **_fields(message))
        return new_id

    def add_batch_messages(
        self, shared: BatchMessages, texts: Sequence[MemberText], *, now: datetime
    ) -> list[int]:
        """The messages of a bulk request, in multi-row INSERTs; their ids in insertion order."""
        common = {
            "studio_id": self.studio_id,
            "batch_id": shared.batch_id,
            "channel": shared.channel,
            "category": shared.category,
            "status": shared.status,
            "send_at": shared.send_at,
            "marketing": shared.marketing,
            "now": now,
        }
        for size, piece in chunks(texts):
            rows = [
                {"customer_id": t.customer_id, "subject": t.subject, "content": t.content, "html": t.html}
                for t in piece
            ]
            self.tx.run(_INSERT_BATCH[size], **common, **numbered(rows))
        return [row.id for row in self._rows(_BATCH_IDS, batch_id=shared.batch_id)]

    def save(self, message: MessageRow, *, now: datetime) -> None:
        self._run(
            _SAVE,
            id=message.id,
            status=message.status,
            status_reason=message.status_reason,
            attempts=message.attempts,
            provider_message_id=message.provider_message_id,
            message_id_header=message.message_id_header,
            thread_id=message.thread_id,
            communication_id=message.communication_id,
            now=now,
        )

    def add_change(self, message_id: int, change: StatusChange) -> None:
        self._run(_ADD_CHANGE, message_id=message_id, **_change(change))

    def add_acceptances(
        self, accepted: Sequence[tuple[int, StatusChange]], *, status: str, occurred_at: datetime
    ) -> None:
        """The first history entry of many messages (their acceptance), in multi-row INSERTs."""
        for size, piece in chunks(accepted):
            rows = [
                {
                    "message_id": message_id,
                    "decision_rule": change.decision_rule,
                    "ledger_entry_id": change.ledger_entry_id,
                    "block_reason": change.block_reason,
                }
                for message_id, change in piece
            ]
            self.tx.run(
                _ADD_ACCEPTED[size], studio_id=self.studio_id, status=status, occurred_at=occurred_at,
                **numbered(rows),
            )  # fmt: skip

    def changes(self, message_id: int) -> list[StatusChange]:
        return self._rows(_CHANGES, message_id=message_id)

    def add_batch(self, fields: Mapping[str, Any], *, now: datetime) -> int:
        new_id: int = self._scalar(_ADD_BATCH, now=now, **fields)
        return new_id

    def batch(self, batch_id: int) -> BatchRow | None:
        return self._row(_BATCH, id=batch_id)

    def batch_counts(self, batch_id: int) -> dict[str, int]:
        return {row.status: int(row.messages) for row in self._rows(_BATCH_COUNTS, batch_id=batch_id)}

    def settings(self) -> SettingsRow | None:
        return self._row(_SETTINGS)

    def set_settings(self, settings: SettingsRow, *, now: datetime) -> None:
        self._run(
            _SET_SETTINGS,
            email_from=settings.email_from,
            quiet_hours=settings.quiet_hours,
            general_is_marketing=settings.general_is_marketing,
            now=now,
        )


def _fields(message: NewMessage) -> dict[str, Any]:
    return {
        "customer_id": message.customer_id,
        "batch_id": message.batch_id,
        "thread_id": message.thread_id,
        "communication_id": message.communication_id,
        "channel": message.channel,
        "category": message.category,
        "subject": message.subject,
        "content": message.content,
        "html": message.html,
        "status": message.status,
        "send_at": message.send_at,
        "marketing": message.marketing,
    }


def _change(change: StatusChange) -> dict[str, Any]:
    return {
        "previous_status": change.previous_status,
        "status": change.status,
        "reason": change.reason,
        "decision_rule": change.decision_rule,
        "ledger_entry_id": change.ledger_entry_id,
        "block_reason": change.block_reason,
        "occurred_at": change.occurred_at,
    }


# --- soft bounces and the studio's limit (messages.soft_bounces) ---------------------------------


@dataclass(slots=True)
class BounceSettingsRow:
    soft_bounce_limit: int
    soft_bounce_days: int


_BOUNCE_SETTINGS = Sql(
    """
    SELECT soft_bounce_limit, soft_bounce_days FROM message_bounce_settings WHERE studio_id = :studio_id
    """,
    row=BounceSettingsRow,
)
_SET_BOUNCE_SETTINGS = Sql(
    """
    INSERT INTO message_bounce_settings (studio_id, soft_bounce_limit, soft_bounce_days, updated_at)
    VALUES (:studio_id, :soft_bounce_limit, :soft_bounce_days, :now)
    ON CONFLICT (studio_id) DO UPDATE SET soft_bounce_limit = excluded.soft_bounce_limit,
      soft_bounce_days = excluded.soft_bounce_days, updated_at = excluded.updated_at
    """
)
# One per message and member: the send-time answer and the returned DSN of the same message, or a
# report posted twice, count once.
_ADD_SOFT_BOUNCE = Sql(
    """
    INSERT INTO message_soft_bounces (studio_id, customer_id, message_id, reason, occurred_at, consumed)
    VALUES (:studio_id, :customer_id, :message_id, :reason, :now, :consumed)
    ON CONFLICT (studio_id, message_id, customer_id) DO NOTHING
    """
)
_COUNT_SOFT_BOUNCES = Sql(
    """
    SELECT COUNT(*) FROM message_soft_bounces
    WHERE studio_id = :studio_id AND customer_id = :customer_id AND consumed = :consumed
      AND occurred_at > :since
    """
)
_CONSUME_SOFT_BOUNCES = Sql(
    """
    UPDATE message_soft_bounces SET consumed = :consumed
    WHERE studio_id = :studio_id AND customer_id = :customer_id
    """
)


class SoftBouncesRepository(StudioScoped):
    def settings(self) -> BounceSettingsRow | None:
        return self._row(_BOUNCE_SETTINGS)

    def set_settings(self, settings: BounceSettingsRow, *, now: datetime) -> None:
        self._run(
            _SET_BOUNCE_SETTINGS,
            soft_bounce_limit=settings.soft_bounce_limit,
            soft_bounce_days=settings.soft_bounce_days,
            now=now,
        )

    def add(self, customer_id: int, message_id: int, reason: str, *, now: datetime) -> bool:
        """Whether it is new (False: this message's soft bounce of this member was counted)."""
        return (
            self._run(
                _ADD_SOFT_BOUNCE,
                customer_id=customer_id,
                message_id=message_id,
                reason=reason,
                now=now,
                consumed=False,
            )
            > 0
        )

    def count_since(self, customer_id: int, since: datetime) -> int:
        return int(self._scalar(_COUNT_SOFT_BOUNCES, customer_id=customer_id, since=since, consumed=False))

    def consume(self, customer_id: int) -> None:
        self._run(_CONSUME_SOFT_BOUNCES, customer_id=customer_id, consumed=True)
