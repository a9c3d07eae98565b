"""Lookups that always filter by the calling studio (another studio's webhook is a 404)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from studio_comms.webhooks.errors import DeliveryNotFound, WebhookNotFound
from studio_comms.webhooks.models import WebhookDelivery, WebhookSubscription


def subscription(
    session: Session, studio_id: int, webhook_id: int, *, lock: bool = False
) -> WebhookSubscription:
    query = select(WebhookSubscription).where(
        WebhookSubscription.id == webhook_id,
        WebhookSubscription.studio_id == studio_id,
        WebhookSubscription.deleted_at.is_(None),
    )
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise WebhookNotFound(webhookId=webhook_id)
    return found


def subscriptions(session: Session, studio_id: int) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.studio_id == studio_id, WebhookSubscription.deleted_at.is_(None))
            .order_by(WebhookSubscription.id)
        )
    )


def delivery(
    session: Session, subscription_id: int, delivery_id: int, *, lock: bool = False
) -> WebhookDelivery:
    query = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription_id
    )
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise DeliveryNotFound(deliveryId=delivery_id)
    return found
