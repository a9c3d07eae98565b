"""A studio's SMS provider account and the status reports its callbacks brought."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio_comms.core import secrets
from studio_comms.db.scoped import StudioScoped
from studio_comms.db.sql import Sql
from studio_comms.sms.twilio import SmsCredentials


@dataclass(slots=True)
class _CredentialsRow:
    provider: str
    account_sid: str
    auth_token: str
    sender: str


_GET = Sql(
    """
    SELECT provider, account_sid, auth_token, sender FROM sms_provider_credentials
    WHERE studio_id = :studio_id
    """,
    row=_CredentialsRow,
)
_PUT = Sql(
    """
    INSERT INTO sms_provider_credentials (studio_id, provider, account_sid, auth_token, sender, updated_at)
    VALUES (:studio_id, :provider, :account_sid, :auth_token, :sender, :now)
    ON CONFLICT (studio_id) DO UPDATE SET provider = excluded.provider,
      account_sid = excluded.account_sid, auth_token = excluded.auth_token,
      sender = excluded.sender, updated_at = excluded.updated_at
    """
)
_RESEAL = Sql("UPDATE sms_provider_credentials SET auth_token = :auth_token WHERE studio_id = :studio_id")
_DELETE = Sql("DELETE FROM sms_provider_credentials WHERE studio_id = :studio_id")
_REPORT = Sql(
    """
    INSERT INTO sms_status_reports
      (studio_id, provider_message_id, provider_status, status, error_code, received_at)
    VALUES (:studio_id, :message_id, :provider_status, :status, :error_code, :now)
    ON CONFLICT (studio_id, provider_message_id, provider_status) DO NOTHING
    """
)


@dataclass(slots=True)
class ReportRow:
    provider_status: str
    status: str | None
    error_code: str | None


_REPORTS = Sql(
    """
    SELECT provider_status, status, error_code FROM sms_status_reports
    WHERE studio_id = :studio_id AND provider_message_id = :message_id ORDER BY id
    """,
    row=ReportRow,
)


class SmsRepository(StudioScoped):
    def credentials(self) -> SmsCredentials | None:
        row = self._row(_GET)
        if row is None:
            return None
        return SmsCredentials(
            provider=row.provider,
            account_sid=row.account_sid,
            auth_token=secrets.box().open(row.auth_token),
            sender=row.sender,
        )

    def put_credentials(self, credentials: SmsCredentials, *, now: datetime) -> None:
        self._run(
            _PUT,
            provider=credentials.provider,
            account_sid=credentials.account_sid,
            auth_token=secrets.box().seal(credentials.auth_token),
            sender=credentials.sender,
            now=now,
        )

    def reseal(self, box: secrets.SecretBox) -> int:
        """The stored token sealed again with the box's first key; how many were."""
        row = self._row(_GET)
        if row is None:
            return 0
        return self._run(_RESEAL, auth_token=box.reseal(row.auth_token))

    def delete_credentials(self) -> bool:
        return self._run(_DELETE) > 0

    def add_report(
        self,
        message_id: str,
        provider_status: str,
        status: str | None,
        error_code: str | None,
        *,
        now: datetime,
    ) -> bool:
        """False: this status of the message was reported before (a retry, a replay); nothing is
        added."""
        added = self._run(
            _REPORT,
            message_id=message_id,
            provider_status=provider_status,
            status=status,
            error_code=error_code,
            now=now,
        )
        return added > 0

    def reports(self, message_id: str) -> list[ReportRow]:
        return self._rows(_REPORTS, message_id=message_id)


# --- replies listed for an operator (``sms.replies``) --------------------------------------------


@dataclass(slots=True)
class ReplyRow:
    id: int
    sender: str
    customer_ids: list[int]
    body: str
    words: str
    state: str
    received_at: datetime
    decided_at: datetime | None
    decided_by: str | None


_REPLY_COLUMNS = "id, sender, customer_ids, body, words, state, received_at, decided_at, decided_by"
_ADD_REPLY = Sql(
    """
    INSERT INTO sms_replies
      (studio_id, provider_message_id, sender, customer_ids, body, words, state, received_at)
    VALUES (:studio_id, :message_id, :sender, :customer_ids, :body, :words, 'PENDING', :now)
    """
)
_REPLIES = Sql(
    f"""
    SELECT {_REPLY_COLUMNS} FROM sms_replies
    WHERE studio_id = :studio_id AND state = :state AND id < :before
    ORDER BY id DESC LIMIT :limit
    """,
    row=ReplyRow,
)
_REPLY = Sql(
    f"SELECT {_REPLY_COLUMNS} FROM sms_replies WHERE studio_id = :studio_id AND id = :reply_id",
    row=ReplyRow,
)
# Only a PENDING reply is decided, once: of two operators deciding at once, one changes the row
# (PostgreSQL holds its row lock until the commit; the other then finds it decided).
_DECIDE = Sql(
    """
    UPDATE sms_replies SET state = :state, decided_at = :now, decided_by = :decided_by
    WHERE studio_id = :studio_id AND id = :reply_id AND state = 'PENDING'
    """
)


class SmsRepliesRepository(StudioScoped):
    def add(
        self, message_id: str, sender: str, customer_ids: list[int], body: str, words: str, *, now: datetime
    ) -> None:
        self._run(
            _ADD_REPLY,
            message_id=message_id,
            sender=sender,
            customer_ids=customer_ids,
            body=body,
            words=words,
            now=now,
        )

    def page(self, state: str, *, before: int, limit: int) -> list[ReplyRow]:
        return self._rows(_REPLIES, state=state, before=before, limit=limit)

    def get(self, reply_id: int) -> ReplyRow | None:
        return self._row(_REPLY, reply_id=reply_id)

    def decide(self, reply_id: int, state: str, decided_by: str, *, now: datetime) -> bool:
        """Whether this call decided the reply (it was PENDING)."""
        return self._run(_DECIDE, reply_id=reply_id, state=state, decided_by=decided_by, now=now) > 0
