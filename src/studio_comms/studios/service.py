"""Studios and their communication settings (operator use cases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.orm import Session

from studio_comms.core.errors import Invalid
from studio_comms.preferences.repository import PreferencesRepository
from studio_comms.preferences.rules import check_structure
from studio_comms.preferences.schemas import CommunicationPreference
from studio_comms.preferences.service import offer_to_wire
from studio_comms.studios.defaults import DEFAULT_CONSENT_ENFORCEMENT, DEFAULT_SETTINGS
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
from studio_comms.studios.models import Studio, StudioChannelSetting
from studio_comms.studios.schemas import ConsentEnforcement, StudioCreate, StudioRead, StudioUpdate

M = TypeVar("M", bound=BaseModel)


def create_studio(session: Session, data: StudioCreate, *, now: datetime) -> StudioRead:
    studio = Studio(
        name=data.name,
        language=data.language,
        time_zone=data.timeZone,
        consent_enforcement=(data.consentEnforcement or DEFAULT_CONSENT_ENFORCEMENT).value,
        consent_enforcement_chosen=data.consentEnforcement is not None,
        created_at=now,
    )
    session.add(studio)
    session.flush()
    session.add_all(
        StudioChannelSetting(
            studio_id=studio.id,
            message_category=category.value,
            communication_channel=channel.value,
            active=active,
            customer_overridable=overridable,
        )
        for category, channel, active, overridable in DEFAULT_SETTINGS
    )
    session.flush()
    return _to_wire(studio)


def require_studio(session: Session, studio_id: int) -> Studio:
    studio = session.get(Studio, studio_id)
    if studio is None:
        raise StudioNotFound(studioId=studio_id)
    return studio


def get_studio(session: Session, studio_id: int) -> StudioRead:
    return _to_wire(require_studio(session, studio_id))


def update_studio(session: Session, studio_id: int, data: StudioUpdate) -> StudioRead:
    studio = require_studio(session, studio_id)
    if data.name is not None:
        studio.name = data.name
    if data.language is not None:
        studio.language = data.language
    if data.timeZone is not None:
        studio.time_zone = data.timeZone
    if data.consentEnforcement is not None:
        studio.consent_enforcement = data.consentEnforcement.value
        studio.consent_enforcement_chosen = True
    session.flush()
    return _to_wire(studio)


def get_settings(session: Session, studio_id: int) -> list[CommunicationPreference]:
    require_studio(session, studio_id)
    return offer_to_wire(PreferencesRepository(session, studio_id).offers())


def replace_settings(
    session: Session, studio_id: int, body: Sequence[CommunicationPreference]
) -> list[CommunicationPreference]:
    """The body becomes the whole offer: a channel or category left out is no longer offered.

    Customers' own choices are kept, so offering a channel again brings them back.
    """
    require_studio(session, studio_id)
    check_structure(
        [(entry.messageCategory, [w.communicationChannel for w in entry.channels or []]) for entry in body]
    )
    _require_both_flags(body)
    session.execute(delete(StudioChannelSetting).where(StudioChannelSetting.studio_id == studio_id))
    session.add_all(
        StudioChannelSetting(
            studio_id=studio_id,
            message_category=entry.messageCategory.value,
            communication_channel=wrapper.communicationChannel.value,
            active=bool(wrapper.active),
            customer_overridable=bool(wrapper.customerOverridable),
        )
        for entry in body
        if entry.messageCategory is not None
        for wrapper in entry.channels or []
    )
    session.flush()
    return get_settings(session, studio_id)


def _require_both_flags(body: Sequence[CommunicationPreference]) -> None:
    """A settings file that leaves out a flag must not silently switch a channel off."""
    for i, entry in enumerate(body):
        for j, wrapper in enumerate(entry.channels or []):
            for flag in ("active", "customerOverridable"):
                if getattr(wrapper, flag) is None:
                    reference = f"[{i}].channels[{j}].{flag}"
                    raise Invalid(reference=reference, message_key="FIELD_REQUIRED", field=reference)


def _to_wire(studio: Studio) -> StudioRead:
    return StudioRead(
        studioId=studio.id,
        name=studio.name,
        language=studio.language,
        timeZone=studio.time_zone,
        consentEnforcement=ConsentEnforcement(studio.consent_enforcement),
        consentEnforcementChosen=studio.consent_enforcement_chosen,
    )


def get_information(session: Session, studio_id: int) -> StudioInformation:
    studio = require_studio(session, studio_id)
    return StudioInformation(
        studioId=studio.id,
        name=studio.name,
        description=studio.description,
        country=studio.country,
        countryCode=studio.country_code,
        openingDate=studio.opening_date,
        closingDate=studio.closing_date,
        email=studio.email,
        logoUrl=studio.logo_url,
        telephone=studio.telephone,
        website=studio.website,
        openingHours=_listed(StudioOpeningHours, studio.opening_hours),
        publicOpeningHours=_listed(StudioOpeningHours, studio.public_opening_hours),
        closingHours=_listed(StudioClosingHours, studio.closing_hours),
        street=studio.street,
        houseNumber=studio.house_number,
        zip=studio.zip,
        city=studio.city,
        accessCodeConfiguration=StudioAccessCodeConfiguration(enabled=studio.access_code_enabled),
        location=(
            StudioLocation(latitude=studio.latitude, longitude=studio.longitude)
            if studio.latitude is not None or studio.longitude is not None
            else None
        ),
        studioTags=[Tag(name=name) for name in studio.tags] if studio.tags else None,
    )


def set_information(session: Session, studio_id: int, data: StudioInformationUpdate) -> StudioInformation:
    """Replace the studio's information with ``data``: what it leaves out is cleared."""
    studio = require_studio(session, studio_id)
    if data.name is not None:
        studio.name = data.name
    studio.description = data.description
    studio.country = data.country
    studio.country_code = data.countryCode
    studio.opening_date = data.openingDate
    studio.closing_date = data.closingDate
    studio.email = data.email
    studio.logo_url = data.logoUrl
    studio.telephone = data.telephone
    studio.website = data.website
    studio.opening_hours = _stored(data.openingHours)
    studio.public_opening_hours = _stored(data.publicOpeningHours)
    studio.closing_hours = _stored(data.closingHours)
    studio.street = data.street
    studio.house_number = data.houseNumber
    studio.zip = data.zip
    studio.city = data.city
    studio.access_code_enabled = bool(data.accessCodeConfiguration and data.accessCodeConfiguration.enabled)
    studio.latitude = data.location.latitude if data.location else None
    studio.longitude = data.location.longitude if data.location else None
    studio.tags = [tag.name for tag in data.studioTags] if data.studioTags else None
    session.flush()
    return get_information(session, studio_id)


def _stored(entries: Sequence[BaseModel] | None) -> list[dict[str, Any]] | None:
    return [entry.model_dump(mode="json", exclude_none=True) for entry in entries] if entries else None


def _listed(model: type[M], stored: list[dict[str, Any]] | None) -> list[M] | None:
    return [model.model_validate(entry) for entry in stored] if stored else None
