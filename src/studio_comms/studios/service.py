"""Studios: the tenants (operator use cases; other packages read a studio's mode and profile)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from studio_comms.db.tx import Tx
from studio_comms.studios.errors import StudioNotFound
from studio_comms.studios.information_schemas import (
    StudioAccessCodeConfiguration,
    StudioClosingHours,
    StudioInformation,
    StudioInformationUpdate,
    StudioLocation,
    StudioOpeningHours,
    Tag,
)
from studio_comms.studios.repository import (
    StudioInformationRow,
    StudioRepository,
    StudioRow,
    all_studio_ids,
    insert_studio,
)
from studio_comms.studios.schemas import (
    DEFAULT_CONSENT_ENFORCEMENT,
    ConsentEnforcement,
    StudioCreate,
    StudioRead,
    StudioUpdate,
)

M = TypeVar("M", bound=BaseModel)


def create_studio(tx: Tx, data: StudioCreate, *, now: datetime) -> StudioRead:
    """The studio's row only: its default offer is ``preferences``' (``admin.onboarding``)."""
    studio_id = insert_studio(
        tx,
        name=data.name,
        language=data.language,
        time_zone=data.timeZone,
        enforcement=(data.consentEnforcement or DEFAULT_CONSENT_ENFORCEMENT).value,
        chosen=data.consentEnforcement is not None,
        now=now,
    )
    return get_studio(tx, studio_id)


def all_studios(tx: Tx) -> list[int]:
    """Every studio's id (operators' commands that go over all of them)."""
    return all_studio_ids(tx)


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
        studio.consent_enforcement_chosen = True
    StudioRepository(tx, studio_id).save(studio)
    return _to_wire(studio)


def _to_wire(studio: StudioRow) -> StudioRead:
    return StudioRead(
        studioId=studio.id,
        name=studio.name,
        language=studio.language,
        timeZone=studio.time_zone,
        consentEnforcement=ConsentEnforcement(studio.consent_enforcement),
        consentEnforcementChosen=studio.consent_enforcement_chosen,
    )


def country_code(tx: Tx, studio_id: int) -> str | None:
    """The studio's ISO 3166 country: the region its members' local phone numbers are read in."""
    require_studio(tx, studio_id)
    return StudioRepository(tx, studio_id).information().country_code


def get_information(tx: Tx, studio_id: int) -> StudioInformation:
    studio = require_studio(tx, studio_id)
    info = StudioRepository(tx, studio_id).information()
    return StudioInformation(
        studioId=studio.id,
        name=studio.name,
        description=info.description,
        country=info.country,
        countryCode=info.country_code,
        openingDate=info.opening_date,
        closingDate=info.closing_date,
        email=info.email,
        logoUrl=info.logo_url,
        telephone=info.telephone,
        website=info.website,
        openingHours=_listed(StudioOpeningHours, info.opening_hours),
        publicOpeningHours=_listed(StudioOpeningHours, info.public_opening_hours),
        closingHours=_listed(StudioClosingHours, info.closing_hours),
        street=info.street,
        houseNumber=info.house_number,
        zip=info.zip,
        city=info.city,
        accessCodeConfiguration=StudioAccessCodeConfiguration(enabled=info.access_code_enabled),
        location=(
            StudioLocation(latitude=info.latitude, longitude=info.longitude)
            if info.latitude is not None or info.longitude is not None
            else None
        ),
        studioTags=[Tag(name=name) for name in info.tags] if info.tags else None,
    )


def set_information(tx: Tx, studio_id: int, data: StudioInformationUpdate) -> StudioInformation:
    """Replace the studio's information with ``data``: what it leaves out is cleared."""
    studio = require_studio(tx, studio_id)
    repository = StudioRepository(tx, studio_id)
    if data.name is not None:
        studio.name = data.name
        repository.save(studio)
    repository.set_information(
        StudioInformationRow(
            description=data.description,
            country=data.country,
            country_code=data.countryCode,
            opening_date=data.openingDate,
            closing_date=data.closingDate,
            email=data.email,
            logo_url=data.logoUrl,
            telephone=data.telephone,
            website=data.website,
            street=data.street,
            house_number=data.houseNumber,
            zip=data.zip,
            city=data.city,
            latitude=data.location.latitude if data.location else None,
            longitude=data.location.longitude if data.location else None,
            access_code_enabled=bool(data.accessCodeConfiguration and data.accessCodeConfiguration.enabled),
            opening_hours=_stored(data.openingHours),
            public_opening_hours=_stored(data.publicOpeningHours),
            closing_hours=_stored(data.closingHours),
            tags=[tag.name for tag in data.studioTags] if data.studioTags else None,
        )
    )
    return get_information(tx, studio_id)


def _stored(entries: Sequence[BaseModel] | None) -> list[dict[str, Any]] | None:
    return [entry.model_dump(mode="json", exclude_none=True) for entry in entries] if entries else None


def _listed(model: type[M], stored: list[dict[str, Any]] | None) -> list[M] | None:
    return [model.model_validate(entry) for entry in stored] if stored else None
