"""Removing committed test data (tests that need real concurrency cannot roll back)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, delete, select

from studio_comms.apikeys.models import ApiKey
from studio_comms.communications.models import (
    Communication,
    CommunicationDeliveryEvent,
    CommunicationThread,
)
from studio_comms.customers.models import Customer
from studio_comms.idempotency.models import IdempotencyRecord
from studio_comms.mailevents.models import MailProviderCredentials, MailProviderEvent
from studio_comms.messages.models import Message, MessageBatch, MessageSettings, MessageStatusChange
from studio_comms.outbox.models import OutboxItem
from studio_comms.preferences.models import (
    ConsentLedgerEntry,
    CustomerChannelChoice,
    StudioChannelSetting,
    Suppression,
)
from studio_comms.sms.models import SmsProviderCredentials, SmsStatusReport
from studio_comms.studios.models import Studio
from studio_comms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def purge_studios(engine: Engine, studio_ids: Iterable[int]) -> None:
    """Delete the studios and everything they own, children first."""
    ids = list(studio_ids)
    with engine.begin() as connection:
        key_ids = select(ApiKey.id).where(ApiKey.studio_id.in_(ids))
        connection.execute(delete(IdempotencyRecord).where(IdempotencyRecord.api_key_id.in_(key_ids)))
        delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.studio_id.in_(ids))
        connection.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids)))
        connection.execute(delete(WebhookDelivery).where(WebhookDelivery.studio_id.in_(ids)))
        connection.execute(delete(WebhookSubscription).where(WebhookSubscription.studio_id.in_(ids)))
        for table in (
            MailProviderEvent,
            MailProviderCredentials,
            SmsStatusReport,
            SmsProviderCredentials,
            OutboxItem,
            MessageStatusChange,
            Message,
            MessageBatch,
            MessageSettings,
            CommunicationDeliveryEvent,
            Communication,
            CommunicationThread,
            ConsentLedgerEntry,
            CustomerChannelChoice,
            Suppression,
            ApiKey,
            Customer,
            StudioChannelSetting,
        ):
            connection.execute(delete(table).where(table.studio_id.in_(ids)))
        connection.execute(delete(Studio).where(Studio.id.in_(ids)))
