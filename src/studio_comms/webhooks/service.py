"""Subscriptions: a studio's endpoints, their credentials and filters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from studio_comms.webhooks import repository, signing
from studio_comms.webhooks.models import WebhookSubscription
from studio_comms.webhooks.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookEventType,
    WebhookRead,
    WebhookSecrets,
    WebhookStatus,
    WebhookUpdate,
)


def read(subscription: WebhookSubscription) -> WebhookRead:
    return WebhookRead(
        webhookId=subscription.id,
        url=subscription.url,
        eventTypes=subscription.event_types or [event.value for event in WebhookEventType],
        allEventTypes=subscription.event_types is None,
        description=subscription.description,
        status=WebhookStatus(subscription.status),
        createdAt=subscription.created_at,
        failingSince=subscription.failing_since,
        disabledAt=subscription.disabled_at,
    )


def _event_types(requested: list[str] | None) -> list[str] | None:
    # Sorted and without repeats, so equal filters are stored equally.
    return None if requested is None else sorted(set(requested))


def create(session: Session, studio_id: int, body: WebhookCreate, *, now: datetime) -> WebhookCreated:
    """The URL was checked by the caller (before the transaction: resolving a name can be slow)."""
    subscription = WebhookSubscription(
        studio_id=studio_id,
        url=body.url,
        event_types=_event_types([event.value for event in body.eventTypes] if body.eventTypes else None),
        description=body.description,
        api_key=signing.new_api_key(),
        signing_secret=signing.new_signing_secret(),
        status=WebhookStatus.ACTIVE.value,
        created_at=now,
    )
    session.add(subscription)
    session.flush()
    return WebhookCreated(
        **read(subscription).model_dump(),
        apiKey=subscription.api_key,
        signingSecret=subscription.signing_secret,
    )


def list_all(session: Session, studio_id: int) -> list[WebhookRead]:
    return [read(subscription) for subscription in repository.subscriptions(session, studio_id)]


def get(session: Session, studio_id: int, webhook_id: int) -> WebhookRead:
    return read(repository.subscription(session, studio_id, webhook_id))


def update(
    session: Session, studio_id: int, webhook_id: int, body: WebhookUpdate, *, now: datetime
) -> WebhookRead:
    """Fields absent from the body stay. Re-activating starts a new failure window."""
    subscription = repository.subscription(session, studio_id, webhook_id, lock=True)
    fields = body.model_fields_set
    if body.url is not None:
        subscription.url = body.url
    if "eventTypes" in fields:
        subscription.event_types = _event_types(
            [event.value for event in body.eventTypes] if body.eventTypes else None
        )
    if "description" in fields:
        subscription.description = body.description
    if body.status is not None and body.status.value != subscription.status:
        subscription.status = body.status.value
        subscription.failing_since = None
        subscription.disabled_at = now if body.status is WebhookStatus.DISABLED else None
    return read(subscription)


def delete(session: Session, studio_id: int, webhook_id: int, *, now: datetime) -> None:
    """Nothing more is sent to it; deliveries still queued are cancelled when the worker meets them."""
    repository.subscription(session, studio_id, webhook_id, lock=True).deleted_at = now


def rotate_secrets(session: Session, studio_id: int, webhook_id: int) -> WebhookSecrets:
    """New ``apiKey`` and ``signingSecret``; deliveries from now on use them."""
    subscription = repository.subscription(session, studio_id, webhook_id, lock=True)
    subscription.api_key = signing.new_api_key()
    subscription.signing_secret = signing.new_signing_secret()
    return WebhookSecrets(
        webhookId=subscription.id, apiKey=subscription.api_key, signingSecret=subscription.signing_secret
    )
