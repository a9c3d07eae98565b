"""A studio's delivery settings (operator API): its From address, its quiet hours, and whether
its GENERAL mail is marketing (``marketing``)."""

from __future__ import annotations

from datetime import datetime

from studio_comms.core.vocabulary import MessageCategory
from studio_comms.db.tx import Tx
from studio_comms.messages import marketing, quiet
from studio_comms.messages.errors import QuietHoursNotAllowed, QuietHoursRepeated
from studio_comms.messages.repository import MessagesRepository, SettingsRow
from studio_comms.messages.schemas import MessageSettingsRead, MessageSettingsWrite, QuietHours


def get_settings(tx: Tx, studio_id: int, *, default_from: str) -> MessageSettingsRead:
    row = MessagesRepository(tx, studio_id).settings()
    configured = row.quiet_hours if row else None
    windows = quiet.effective_windows(configured)
    return MessageSettingsRead(
        emailFrom=(row.email_from if row else None) or default_from,
        emailFromConfigured=bool(row and row.email_from),
        quietHours=[
            QuietHours(messageCategory=category, start=window[0], end=window[1])
            for category, window in sorted(
                windows.items(), key=lambda item: list(MessageCategory).index(item[0])
            )
        ],
        quietHoursDefault=configured is None,
        generalIsMarketing=row.general_is_marketing if row else marketing.GENERAL_IS_MARKETING_DEFAULT,
    )


def put_settings(
    tx: Tx, studio_id: int, data: MessageSettingsWrite, *, default_from: str, now: datetime
) -> MessageSettingsRead:
    """Replace all: an absent ``emailFrom`` is the server's, absent ``quietHours`` the defaults,
    absent ``generalIsMarketing`` true."""
    configured: dict[str, list[str]] | None = None
    if data.quietHours is not None:
        configured = {}
        for index, entry in enumerate(data.quietHours):
            if entry.messageCategory in quiet.NEVER_DEFERRED:
                raise QuietHoursNotAllowed(
                    reference=f"quietHours[{index}].messageCategory", category=entry.messageCategory.value
                )
            if entry.messageCategory.value in configured:
                # Two windows for one category would silently keep the last: say so instead.
                raise QuietHoursRepeated(
                    reference=f"quietHours[{index}].messageCategory", category=entry.messageCategory.value
                )
            configured[entry.messageCategory.value] = [entry.start, entry.end]
    MessagesRepository(tx, studio_id).set_settings(
        SettingsRow(str(data.emailFrom) if data.emailFrom else None, configured, data.generalIsMarketing),
        now=now,
    )
    return get_settings(tx, studio_id, default_from=default_from)
