"""Subscriptions: a studio's endpoints, their credentials and filters."""

from __future__ import annotations

from datetime import datetime

from studio_comms.core.secrets import SecretBox
from studio_comms.db.tx import Tx
from studio_comms.webhooks import signing
from studio_comms.webhooks.errors import WebhookNotFound
from studio_comms.webhooks.repository import Subscription, WebhooksRepository
from studio_comms.webhooks.schemas import (
    WebhookCreate,
    WebhookCreated,
    WebhookEventType,
    WebhookRead,
    WebhookSecrets,
    WebhookStatus,
    WebhookUpdate,
)


def require_subscription(
    repository: WebhooksRepository, webhook_id: int, *, lock: bool = False
) -> Subscription:
    """The studio's subscription; a deleted one, or another studio's, is not found."""
    subscription = repository.subscription(webhook_id, lock=lock)
    if subscription is None or subscription.deleted_at is not None:
        raise WebhookNotFound(webhookId=webhook_id)
    return subscription


def read(subscription: Subscription) -> WebhookRead:
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


def create(tx: Tx, studio_id: int, body: WebhookCreate, *, now: datetime) -> WebhookCreated:
    """The URL was checked by the caller (before the transaction: resolving a name can be slow)."""
    repository = WebhooksRepository(tx, studio_id)
    api_key, signing_secret = signing.new_api_key(), signing.new_signing_secret()
    webhook_id = repository.add_subscription(
        url=body.url,
        event_types=_event_types([event.value for event in body.eventTypes] if body.eventTypes else None),
        description=body.description,
        api_key=api_key,
        signing_secret=signing_secret,
        now=now,
    )
    created = require_subscription(repository, webhook_id)
    return WebhookCreated(**read(created).model_dump(), apiKey=api_key, signingSecret=signing_secret)


def list_all(tx: Tx, studio_id: int) -> list[WebhookRead]:
    return [read(subscription) for subscription in WebhooksRepository(tx, studio_id).subscriptions()]


def get(tx: Tx, studio_id: int, webhook_id: int) -> WebhookRead:
    return read(require_subscription(WebhooksRepository(tx, studio_id), webhook_id))


def update(tx: Tx, studio_id: int, webhook_id: int, body: WebhookUpdate, *, now: datetime) -> WebhookRead:
    """Fields absent from the body stay. Re-activating starts a new failure window."""
    repository = WebhooksRepository(tx, studio_id)
    subscription = require_subscription(repository, webhook_id, lock=True)
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
    repository.save_subscription(subscription)
    return read(subscription)


def delete(tx: Tx, studio_id: int, webhook_id: int, *, now: datetime) -> None:
    """Nothing more is sent to it; deliveries still queued are cancelled when the worker meets them."""
    repository = WebhooksRepository(tx, studio_id)
    subscription = require_subscription(repository, webhook_id, lock=True)
    subscription.deleted_at = now
    repository.save_subscription(subscription)


def reseal(tx: Tx, studio_id: int, box: SecretBox) -> int:
    """Every subscription's stored credentials sealed again with ``box``'s first key (``secrets rotate``)."""
    return WebhooksRepository(tx, studio_id).reseal(box)


def rotate_secrets(tx: Tx, studio_id: int, webhook_id: int) -> WebhookSecrets:
    """New ``apiKey`` and ``signingSecret``; deliveries from now on use them."""
    repository = WebhooksRepository(tx, studio_id)
    subscription = require_subscription(repository, webhook_id, lock=True)
    subscription.api_key = signing.new_api_key()
    subscription.signing_secret = signing.new_signing_secret()
    repository.save_subscription(subscription)
    return WebhookSecrets(
        webhookId=subscription.id, apiKey=subscription.api_key, signingSecret=subscription.signing_secret
    )
