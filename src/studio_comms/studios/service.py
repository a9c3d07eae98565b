"""Studios: the tenants (operator use cases; other packages read a studio's mode and profile)."""

from __future__ import annotations

from datetime import datetime

from studio_comms.db.tx import Tx
from studio_comms.studios.errors import StudioNotFound
from studio_comms.studios.repository import StudioRepository, StudioRow, insert_studio
from studio_comms.studios.schemas import ConsentEnforcement, StudioCreate, StudioRead, StudioUpdate


def create_studio(tx: Tx, data: StudioCreate, *, now: datetime) -> StudioRead:
    """The studio's row only: its default offer is ``preferences``' (``admin.onboarding``)."""
    studio_id = insert_studio(
        tx,
        name=data.name,
        language=data.language,
        time_zone=data.timeZone,
        consent_enforcement=data.consentEnforcement.value,
        now=now,
    )
    return get_studio(tx, studio_id)


def require_studio(tx: Tx, studio_id: int) -> StudioRow:
    studio = StudioRepository(tx, studio_id).get()
    if studio is None:
        raise StudioNotFound(studioId=studio_id)
    return studio


def get_studio(tx: Tx, studio_id: int) -> StudioRead:
    return _to_wire(require_studio(tx, studio_id))


def consent_enforcement(tx: Tx, studio_id: int) -> ConsentEnforcement:
    return ConsentEnforcement(require_studio(tx, studio_id).consent_enforcement)


def update_studio(tx: Tx, studio_id: int, data: StudioUpdate) -> StudioRead:
    studio = require_studio(tx, studio_id)
    if data.name is not None:
        studio.name = data.name
    if data.language is not None:
        studio.language = data.language
    if data.timeZone is not None:
        studio.time_zone = data.timeZone
    if data.consentEnforcement is not None:
        studio.consent_enforcement = data.consentEnforcement.value
    StudioRepository(tx, studio_id).save(studio)
    return _to_wire(studio)


def _to_wire(studio: StudioRow) -> StudioRead:
    return StudioRead(
        studioId=studio.id,
        name=studio.name,
        language=studio.language,
        timeZone=studio.time_zone,
        consentEnforcement=ConsentEnforcement(studio.consent_enforcement),
    )
