"""The operator's list of reports that acted on nothing (no studio owns them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx


@dataclass(slots=True)
class UnattributedRow:
    id: int
    received_at: datetime
    kind: str
    why: str
    claimed_studio_id: int | None
    claimed_message_id: int | None
    original_message_id: str | None
    reporter: str | None
    addresses: str


_ADD = Sql(
    """
    INSERT INTO unattributed_feedback
      (received_at, kind, why, claimed_studio_id, claimed_message_id, original_message_id, reporter,
       addresses)
    VALUES (:now, :kind, :why, :claimed_studio_id, :claimed_message_id, :original_message_id, :reporter,
            :addresses)
    RETURNING id
    """
)
_LIST = Sql(
    """
    SELECT id, received_at, kind, why, claimed_studio_id, claimed_message_id, original_message_id,
           reporter, addresses
    FROM unattributed_feedback WHERE id < :before ORDER BY id DESC LIMIT :limit
    """,
    row=UnattributedRow,
)


def add(tx: Tx, row: UnattributedRow) -> int:
    new_id: int = tx.scalar(
        _ADD,
        now=row.received_at,
        kind=row.kind,
        why=row.why,
        claimed_studio_id=row.claimed_studio_id,
        claimed_message_id=row.claimed_message_id,
        original_message_id=row.original_message_id,
        reporter=row.reporter,
        addresses=row.addresses,
    )
    return new_id


def newest(tx: Tx, *, before: int, limit: int) -> list[UnattributedRow]:
    return tx.rows(_LIST, before=before, limit=limit)
