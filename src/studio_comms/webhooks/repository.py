"""A studio's webhook subscriptions, their deliveries and each delivery's attempts.

Subscriptions are soft-deleted (their delivery log keeps its subject); every read for the API
leaves deleted ones out. What a delivery's state changes look like is in ``webhooks.rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from studio_comms.core import secrets
from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql


@dataclass(slots=True)
class Subscription:
    id: int
    url: str
    # None: every event type, also those added later.
    event_types: list[str] | None
    description: str | None
    api_key: str
    signing_secret: str
    status: str
    created_at: datetime
    failing_since: datetime | None
    last_failed_at: datetime | None
    disabled_at: datetime | None
    deleted_at: datetime | None

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


@dataclass(slots=True)
class Delivery:
    """One event for one subscription: the log entry partners see, and what a replay resends."""

    id: int
    subscription_id: int
    event_uuid: str
    event_type: str
    entity_id: int
    content: dict[str, Any] | None
    occurred_at: datetime
    state: str
    attempts: int
    last_status_code: int | None
    last_duration_ms: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(slots=True)
class Outgoing:
    """A delivery as the worker sends it, with what it needs of its subscription."""

    delivery_id: int
    subscription_id: int
    event_uuid: str
    event_type: str
    entity_id: int
    content: dict[str, Any] | None
    occurred_at: datetime
    state: str
    url: str
    api_key: str
    signing_secret: str
    subscription_status: str
    subscription_deleted: bool


@dataclass(slots=True)
class AttemptRow:
    delivery_id: int
    attempt: int
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(slots=True)
class _Credentials:
    id: int
    api_key: str
    signing_secret: str


@dataclass(slots=True)
class _Added:
    id: int


_SUBSCRIPTION_COLUMNS = """
    id, url, event_types, description, api_key, signing_secret, status, created_at, failing_since,
    last_failed_at, disabled_at, deleted_at
"""
_SUBSCRIPTION = Sql(
    f"""
    SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
    WHERE studio_id = :studio_id AND id = :id
    """,
    row=Subscription,
)
_SUBSCRIPTION_FOR_UPDATE = Sql(
    f"""
    SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
    WHERE studio_id = :studio_id AND id = :id FOR UPDATE
    """,
    row=Subscription,
)
_SUBSCRIPTIONS = Sql(
    f"""
    SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
    WHERE studio_id = :studio_id AND deleted_at IS NULL ORDER BY id
    """,
    row=Subscription,
)
_ACTIVE_SUBSCRIPTIONS = Sql(
    f"""
    SELECT {_SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
    WHERE studio_id = :studio_id AND status = 'ACTIVE' AND deleted_at IS NULL ORDER BY id
    """,
    row=Subscription,
)
_ADD_SUBSCRIPTION = Sql(
    """
    INSERT INTO webhook_subscriptions
      (studio_id, url, event_types, description, api_key, signing_secret, status, created_at)
    VALUES (:studio_id, :url, :event_types, :description, :api_key, :signing_secret, 'ACTIVE', :now)
    RETURNING id
    """
)
_UPDATE_SUBSCRIPTION = Sql(
    """
    UPDATE webhook_subscriptions
    SET url = :url, event_types = :event_types, description = :description, status = :status,
        failing_since = :failing_since, disabled_at = :disabled_at, deleted_at = :deleted_at,
        api_key = :api_key, signing_secret = :signing_secret
    WHERE studio_id = :studio_id AND id = :id
    """
)
_ALL_CREDENTIALS = Sql(
    "SELECT id, api_key, signing_secret FROM webhook_subscriptions WHERE studio_id = :studio_id ORDER BY id",
    row=_Credentials,
)
_RESEAL = Sql(
    """
    UPDATE webhook_subscriptions SET api_key = :api_key, signing_secret = :signing_secret
    WHERE studio_id = :studio_id AND id = :id
    """
)
# Conditional single-statement updates: concurrent attempts of one subscription never
# read-modify-write its row.
_FAILED_AT = Sql(
    """
    UPDATE webhook_subscriptions
    SET failing_since = CASE WHEN failing_since IS NULL OR last_failed_at < :window_start
                             THEN :now ELSE failing_since END,
        last_failed_at = :now
    WHERE studio_id = :studio_id AND id = :id
    """
)
_DISABLE_IF_FAILING_SINCE = Sql(
    """
    UPDATE webhook_subscriptions SET status = 'DISABLED', disabled_at = :now
    WHERE studio_id = :studio_id AND id = :id AND status = 'ACTIVE' AND failing_since <= :failing_before
    RETURNING url
    """
)
_HEALTHY = Sql(
    """
    UPDATE webhook_subscriptions SET failing_since = NULL
    WHERE studio_id = :studio_id AND id = :id AND failing_since IS NOT NULL
    """
)
_DELIVERY_COLUMNS = """
    id, subscription_id, event_uuid, event_type, entity_id, content, occurred_at, state, attempts,
    last_status_code, last_duration_ms, last_error, next_attempt_at, created_at, finished_at
"""
_DELIVERY = Sql(
    f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE studio_id = :studio_id AND id = :id",
    row=Delivery,
)
_DELIVERY_FOR_UPDATE = Sql(
    f"""
    SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE studio_id = :studio_id AND id = :id FOR UPDATE
    """,
    row=Delivery,
)
_DELIVERIES = Sql(
    f"""
    SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries
    WHERE studio_id = :studio_id AND subscription_id = :subscription_id AND id < :before
    ORDER BY id DESC LIMIT :limit
    """,
    row=Delivery,
)
_ADD_DELIVERY = Sql(
    """
    INSERT INTO webhook_deliveries
      (studio_id, subscription_id, event_uuid, event_type, entity_id, content, occurred_at, state,
       attempts, next_attempt_at, created_at)
    VALUES (:studio_id, :subscription_id, :event_uuid, :event_type, :entity_id, :content, :occurred_at,
       'PENDING', 0, :now, :now)
    RETURNING id
    """,
    row=_Added,
)
_SAVE_DELIVERY = Sql(
    """
    UPDATE webhook_deliveries
    SET state = :state, attempts = :attempts, last_status_code = :last_status_code,
        last_duration_ms = :last_duration_ms, last_error = :last_error, next_attempt_at = :next_attempt_at,
        finished_at = :finished_at
    WHERE studio_id = :studio_id AND id = :id
    """
)
# What the worker needs to send a batch of deliveries: each with its subscription, one statement.
_TO_SEND = Sql(
    """
    SELECT d.id AS delivery_id, d.subscription_id, d.event_uuid, d.event_type, d.entity_id, d.content,
           d.occurred_at, d.state, s.url, s.api_key, s.signing_secret, s.status AS subscription_status,
           s.deleted_at IS NOT NULL AS subscription_deleted
    FROM webhook_deliveries d
    JOIN webhook_subscriptions s ON s.studio_id = d.studio_id AND s.id = d.subscription_id
    WHERE d.studio_id = :studio_id AND s.studio_id = :studio_id AND d.id = ANY(:ids)
    """,
    row=Outgoing,
)
# A successful attempt: the delivery finished, and its attempt appended with the number the
# update gave it (both deferred to the end of the worker's batch: one round trip for all).
_SUCCEEDED = Sql(
    """
    UPDATE webhook_deliveries
    SET state = 'SUCCEEDED', attempts = attempts + 1, last_status_code = :status_code,
        last_duration_ms = :duration_ms, last_error = NULL, next_attempt_at = NULL, finished_at = :now
    WHERE studio_id = :studio_id AND id = :id
    """
)
_ADD_SUCCESSFUL_ATTEMPT = Sql(
    """
    INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, duration_ms, error)
    SELECT id, attempts, :now, :status_code, :duration_ms, NULL FROM webhook_deliveries
    WHERE studio_id = :studio_id AND id = :id
    """
)
_ADD_ATTEMPT = Sql(
    """
    INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, duration_ms, error)
    VALUES (:delivery_id, :attempt, :attempted_at, :status_code, :duration_ms, :error)
    """
)
# The attempts of the deliveries of one slice (the same conditions as _DELIVERIES).
_ATTEMPTS = Sql(
    """
    SELECT a.delivery_id, a.attempt, a.attempted_at, a.status_code, a.duration_ms, a.error
    FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
    WHERE d.studio_id = :studio_id AND d.subscription_id = :subscription_id
      AND d.id < :before AND d.id >= :oldest
    ORDER BY a.id
    """,
    row=AttemptRow,
)


class WebhooksRepository(StudioScoped):
    # -- subscriptions ----------------------------------------------------------------------

    def subscription(self, webhook_id: int, *, lock: bool = False) -> Subscription | None:
        """Deleted ones too (the worker must see them to cancel their deliveries)."""
        row: Subscription | None = self._row(
            _SUBSCRIPTION_FOR_UPDATE if lock else _SUBSCRIPTION, id=webhook_id
        )
        return _opened(row) if row is not None else None

    def subscriptions(self, *, active_only: bool = False) -> list[Subscription]:
        rows: list[Subscription] = self._rows(_ACTIVE_SUBSCRIPTIONS if active_only else _SUBSCRIPTIONS)
        return [_opened(row) for row in rows]

    def add_subscription(
        self,
        *,
        url: str,
        event_types: list[str] | None,
        description: str | None,
        api_key: str,
        signing_secret: str,
        now: datetime,
    ) -> int:
        webhook_id: int = self._scalar(
            _ADD_SUBSCRIPTION,
            url=url,
            event_types=event_types,
            description=description,
            api_key=secrets.box().seal(api_key),
            signing_secret=secrets.box().seal(signing_secret),
            now=now,
        )
        return webhook_id

    def save_subscription(self, subscription: Subscription) -> None:
        self._run(
            _UPDATE_SUBSCRIPTION,
            id=subscription.id,
            url=subscription.url,
            event_types=subscription.event_types,
            description=subscription.description,
            status=subscription.status,
            failing_since=subscription.failing_since,
            disabled_at=subscription.disabled_at,
            deleted_at=subscription.deleted_at,
            api_key=secrets.box().seal(subscription.api_key),
            signing_secret=secrets.box().seal(subscription.signing_secret),
        )

    def reseal(self, box: secrets.SecretBox) -> int:
        """Every subscription's credentials (deleted ones too) sealed again with the box's first key."""
        rows: list[_Credentials] = self._rows(_ALL_CREDENTIALS)
        for row in rows:
            sealed = {"api_key": box.reseal(row.api_key), "signing_secret": box.reseal(row.signing_secret)}
            self._run(_RESEAL, id=row.id, **sealed)
        return len(rows)

    def failed_at(self, webhook_id: int, now: datetime, *, window_start: datetime) -> None:
        """A failed attempt: starts the failure window unless one runs since ``window_start``."""
        self._run(_FAILED_AT, id=webhook_id, now=now, window_start=window_start)

    def disable_if_failing_since(self, webhook_id: int, before: datetime, *, now: datetime) -> str | None:
        """Disable the subscription if its failure window began before ``before``; its URL if so."""
        url: str | None = self._scalar(
            _DISABLE_IF_FAILING_SINCE, id=webhook_id, failing_before=before, now=now
        )
        return url

    def healthy(self, webhook_id: int) -> None:
        self._run(_HEALTHY, id=webhook_id)

    # -- deliveries -------------------------------------------------------------------------

    def delivery(self, delivery_id: int, *, lock: bool = False) -> Delivery | None:
        return self._row(_DELIVERY_FOR_UPDATE if lock else _DELIVERY, id=delivery_id)

    def deliveries(self, subscription_id: int, *, before: int, limit: int) -> list[Delivery]:
        """Newest first, ids below ``before``."""
        return self._rows(_DELIVERIES, subscription_id=subscription_id, before=before, limit=limit)

    def attempts(self, subscription_id: int, *, before: int, oldest: int) -> dict[int, list[AttemptRow]]:
        """The attempts of the subscription's deliveries with ids in [oldest, before), by delivery."""
        grouped: dict[int, list[AttemptRow]] = {}
        for attempt in self._rows(_ATTEMPTS, subscription_id=subscription_id, before=before, oldest=oldest):
            grouped.setdefault(attempt.delivery_id, []).append(attempt)
        return grouped

    def add_delivery(
        self,
        subscription_id: int,
        *,
        event_uuid: str,
        event_type: str,
        entity_id: int,
        content: dict[str, Any] | None,
        occurred_at: datetime,
        now: datetime,
    ) -> int:
        added = self._row(
            _ADD_DELIVERY,
            subscription_id=subscription_id,
            event_uuid=event_uuid,
            event_type=event_type,
            entity_id=entity_id,
            content=content,
            occurred_at=occurred_at,
            now=now,
        )
        assert added is not None
        return added.id

    def to_send(self, delivery_ids: list[int]) -> dict[int, Outgoing]:
        """The deliveries among ``delivery_ids`` that exist, by id."""
        rows: list[Outgoing] = self._rows(_TO_SEND, ids=delivery_ids)
        for row in rows:
            row.api_key, row.signing_secret = (
                secrets.box().open(row.api_key),
                secrets.box().open(row.signing_secret),
            )
        return {row.delivery_id: row for row in rows}

    def succeeded(
        self, delivery_id: int, *, status_code: int | None, duration_ms: int, now: datetime
    ) -> None:
        """A successful attempt (started at ``now``): the delivery finished, the attempt appended;
        written when the unit of work ends (``Tx.later``), with the other deliveries' results."""
        values: dict[str, Any] = {
            "id": delivery_id,
            "status_code": status_code,
            "duration_ms": duration_ms,
            "now": now,
        }
        self.tx.later(_SUCCEEDED, studio_id=self.studio_id, **values)
        self.tx.later(_ADD_SUCCESSFUL_ATTEMPT, studio_id=self.studio_id, **values)

    def add_delivery_later(
        self,
        subscription_id: int,
        *,
        event_uuid: str,
        event_type: str,
        entity_id: int,
        content: dict[str, Any] | None,
        occurred_at: datetime,
        now: datetime,
        then: Callable[[int], None],
    ) -> None:
        """:meth:`add_delivery` written when the unit of work ends; ``then`` gets its id."""
        self.tx.later(
            _ADD_DELIVERY,
            lambda added: then(added.id),
            studio_id=self.studio_id,
            subscription_id=subscription_id,
            event_uuid=event_uuid,
            event_type=event_type,
            entity_id=entity_id,
            content=content,
            occurred_at=occurred_at,
            now=now,
        )

    def add_attempt(self, delivery: Delivery, attempt: AttemptRow) -> None:
        """Attempts are only ever appended; the delivery was read (locked) through this studio."""
        self.tx.run(
            _ADD_ATTEMPT,
            delivery_id=delivery.id,
            attempt=attempt.attempt,
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
            duration_ms=attempt.duration_ms,
            error=attempt.error,
        )

    def save_delivery(self, delivery: Delivery) -> None:
        self._run(
            _SAVE_DELIVERY,
            id=delivery.id,
            state=delivery.state,
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_duration_ms=delivery.last_duration_ms,
            last_error=delivery.last_error,
            next_attempt_at=delivery.next_attempt_at,
            finished_at=delivery.finished_at,
        )


def _opened(subscription: Subscription) -> Subscription:
    """The stored (sealed) credentials opened (``core.secrets``)."""
    box = secrets.box()
    subscription.api_key, subscription.signing_secret = (
        box.open(subscription.api_key),
        box.open(subscription.signing_secret),
    )
    return subscription
