"""Studios: the tenants themselves. A studio's own row is scoped by its id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx

_INSERT = Sql(
    """
    INSERT INTO studios (name, language, time_zone, consent_enforcement, created_at)
    VALUES (:name, :language, :time_zone, :consent_enforcement, :now)
    RETURNING id
    """,
    cross_studio="a new studio has no id yet",
)
_GET = Sql("SELECT id, name, language, time_zone, consent_enforcement FROM studios WHERE id = :studio_id")
_UPDATE = Sql(
    """
    UPDATE studios SET name = :name, language = :language, time_zone = :time_zone,
                       consent_enforcement = :consent_enforcement
    WHERE id = :studio_id
    """
)


@dataclass(slots=True)
class StudioRow:
    id: int
    name: str
    language: str
    time_zone: str
    consent_enforcement: str


def insert_studio(
    tx: Tx, *, name: str, language: str, time_zone: str, consent_enforcement: str, now: datetime
) -> int:
    studio_id: int = tx.scalar(
        _INSERT,
        name=name,
        language=language,
        time_zone=time_zone,
        consent_enforcement=consent_enforcement,
        now=now,
    )
    return studio_id


class StudioRepository(StudioScoped):
    def get(self) -> StudioRow | None:
        row = self._row(_GET)
        return StudioRow(*row) if row else None

    def save(self, studio: StudioRow) -> None:
        assert studio.id == self.studio_id
        self._run(
            _UPDATE,
            name=studio.name,
            language=studio.language,
            time_zone=studio.time_zone,
            consent_enforcement=studio.consent_enforcement,
        )
