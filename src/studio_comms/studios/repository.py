"""Studios: the tenants themselves. A studio's own row is scoped by its id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from studio_comms.db.rows import fields_of
from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql
from studio_comms.db.tx import Tx


@dataclass(slots=True)
class _Id:
    id: int


@dataclass(slots=True)
class StudioRow:
    id: int
    name: str
    language: str
    time_zone: str
    consent_enforcement: str
    # Whether an operator chose the mode; one who never did follows the default.
    consent_enforcement_chosen: bool


@dataclass(slots=True)
class StudioInformationRow:
    """What ``GET /v1/studios/information`` tells partners, as the operator set it."""

    description: str | None = None
    country: str | None = None
    country_code: str | None = None
    opening_date: date | None = None
    closing_date: date | None = None
    email: str | None = None
    logo_url: str | None = None
    telephone: str | None = None
    website: str | None = None
    street: str | None = None
    house_number: str | None = None
    zip: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    access_code_enabled: bool = False
    # Lists of the official nested shapes (opening and closing hours, tags), stored as the wire
    # writes them: nothing queries inside them.
    opening_hours: list[dict[str, Any]] | None = None
    public_opening_hours: list[dict[str, Any]] | None = None
    closing_hours: list[dict[str, Any]] | None = None
    tags: list[str] | None = None


_INSERT = Sql(
    """
    INSERT INTO studios (name, language, time_zone, consent_enforcement, consent_enforcement_chosen,
                         access_code_enabled, created_at)
    VALUES (:name, :language, :time_zone, :consent_enforcement, :consent_enforcement_chosen, FALSE, :now)
    RETURNING id
    """,
    cross_studio="a new studio has no id yet",
)
_ALL_IDS = Sql(
    "SELECT id FROM studios ORDER BY id",
    cross_studio="operators' commands over every studio (secrets rotate)",
    row=_Id,
)
_GET = Sql(
    """
    SELECT id, name, language, time_zone, consent_enforcement, consent_enforcement_chosen
    FROM studios WHERE id = :studio_id
    """,
    row=StudioRow,
)
_UPDATE = Sql(
    """
    UPDATE studios SET name = :name, language = :language, time_zone = :time_zone,
                       consent_enforcement = :consent_enforcement,
                       consent_enforcement_chosen = :consent_enforcement_chosen
    WHERE id = :studio_id
    """
)
# The information columns: StudioInformationRow's fields.
_INFORMATION_COLUMNS = fields_of(StudioInformationRow)
_GET_INFORMATION = Sql(
    f"SELECT {', '.join(_INFORMATION_COLUMNS)} FROM studios WHERE id = :studio_id", row=StudioInformationRow
)
_SET_INFORMATION = Sql(
    f"UPDATE studios SET {', '.join(f'{c} = :{c}' for c in _INFORMATION_COLUMNS)} WHERE id = :studio_id"
)


def all_studio_ids(tx: Tx) -> list[int]:
    rows: list[_Id] = tx.rows(_ALL_IDS)
    return [row.id for row in rows]


def insert_studio(
    tx: Tx, *, name: str, language: str, time_zone: str, enforcement: str, chosen: bool, now: datetime
) -> int:
    studio_id: int = tx.scalar(
        _INSERT,
        name=name,
        language=language,
        time_zone=time_zone,
        consent_enforcement=enforcement,
        consent_enforcement_chosen=chosen,
        now=now,
    )
    return studio_id


class StudioRepository(StudioScoped):
    def get(self) -> StudioRow | None:
        return self._row(_GET)

    def save(self, studio: StudioRow) -> None:
        assert studio.id == self.studio_id
        self._run(
            _UPDATE,
            name=studio.name,
            language=studio.language,
            time_zone=studio.time_zone,
            consent_enforcement=studio.consent_enforcement,
            consent_enforcement_chosen=studio.consent_enforcement_chosen,
        )

    def information(self) -> StudioInformationRow:
        information = self._row(_GET_INFORMATION)
        assert information is not None, "the caller checked that the studio exists"
        return information

    def set_information(self, information: StudioInformationRow) -> None:
        values = {column: getattr(information, column) for column in _INFORMATION_COLUMNS}
        for day in ("opening_date", "closing_date"):
            # Both drivers take ISO text for a DATE column; sqlite3 has no date adapter of its own.
            values[day] = values[day].isoformat() if values[day] is not None else None
        self._run(_SET_INFORMATION, **values)
