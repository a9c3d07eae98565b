"""A studio's relay credential (sealed) and the events it already sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.core import secrets
from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql


@dataclass(frozen=True, slots=True)
class Credentials:
    provider: str
    username: str | None
    # Opened: Postmark's password, Mailgun's signing key, SendGrid's verification key.
    secret: str


@dataclass(slots=True)
class _CredentialsRow:
    provider: str
    username: str | None
    secret: str


_GET = Sql(
    "SELECT provider, username, secret FROM mail_provider_credentials WHERE studio_id = :studio_id",
    row=_CredentialsRow,
)
_PUT = Sql(
    """
    INSERT INTO mail_provider_credentials (studio_id, provider, username, secret, updated_at)
    VALUES (:studio_id, :provider, :username, :secret, :now)
    ON CONFLICT (studio_id) DO UPDATE SET provider = excluded.provider,
      username = excluded.username, secret = excluded.secret, updated_at = excluded.updated_at
    """
)
_RESEAL = Sql("UPDATE mail_provider_credentials SET secret = :secret WHERE studio_id = :studio_id")
_DELETE = Sql("DELETE FROM mail_provider_credentials WHERE studio_id = :studio_id")
# A repeat (the same provider event id, or a Mailgun token used before) inserts nothing.
_SEEN = Sql(
    """
    INSERT INTO mail_provider_events
      (studio_id, provider, event_id, kind, reason, message_id, outcome, received_at)
    VALUES (:studio_id, :provider, :event_id, :kind, :reason, :message_id, :outcome, :now)
    ON CONFLICT (studio_id, provider, event_id) DO NOTHING
    """
)


@dataclass(slots=True)
class EventRow:
    provider: str
    event_id: str
    kind: str
    reason: str | None
    message_id: int | None
    outcome: str


_EVENTS = Sql(
    """
    SELECT provider, event_id, kind, reason, message_id, outcome FROM mail_provider_events
    WHERE studio_id = :studio_id ORDER BY id
    """,
    row=EventRow,
)


class MailEventsRepository(StudioScoped):
    def credentials(self) -> Credentials | None:
        row = self._row(_GET)
        if row is None:
            return None
        return Credentials(row.provider, row.username, secrets.box().open(row.secret))

    def put_credentials(self, credentials: Credentials, *, now: datetime) -> None:
        self._run(
            _PUT,
            provider=credentials.provider,
            username=credentials.username,
            secret=secrets.box().seal(credentials.secret),
            now=now,
        )

    def reseal(self, box: secrets.SecretBox) -> int:
        row = self._row(_GET)
        if row is None:
            return 0
        return self._run(_RESEAL, secret=box.reseal(row.secret))

    def delete_credentials(self) -> bool:
        return self._run(_DELETE) > 0

    def first_time(self, row: EventRow, *, now: datetime) -> bool:
        """Record the event as seen; False when it was seen before (nothing recorded)."""
        return (
            self._run(
                _SEEN,
                provider=row.provider,
                event_id=row.event_id,
                kind=row.kind,
                reason=row.reason,
                message_id=row.message_id,
                outcome=row.outcome,
                now=now,
            )
            > 0
        )

    def events(self) -> list[EventRow]:
        return self._rows(_EVENTS)
