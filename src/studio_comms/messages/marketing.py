"""Which messages are marketing: decided once, when a send is accepted, and stored on the message.

Marketing e-mail carries the one-click unsubscribe headers (RFC 2369 ``List-Unsubscribe``, RFC 8058
``List-Unsubscribe-Post``), which Gmail's and Yahoo's bulk-sender rules require on all marketing
mail. NEWSLETTER and LOYALTY_PROGRAM always are marketing, CONTRACT and APPOINTMENT never (mail a
member cannot opt out of must not offer an unsubscribe); a GENERAL send says so with ``marketing``,
or takes the studio's ``generalIsMarketing`` (default on).
"""

from __future__ import annotations

from studio_comms.core.vocabulary import MessageCategory
from studio_comms.db.tx import Tx
from studio_comms.messages.errors import MarketingNotChoosable
from studio_comms.messages.repository import MessagesRepository

ALWAYS = frozenset({MessageCategory.NEWSLETTER, MessageCategory.LOYALTY_PROGRAM})
NEVER = frozenset({MessageCategory.CONTRACT, MessageCategory.APPOINTMENT})
# A studio without settings of its own: GENERAL mail is marketing unless the send says otherwise.
GENERAL_IS_MARKETING_DEFAULT = True


def is_marketing(category: MessageCategory, requested: bool | None, *, general_default: bool) -> bool:
    """The flag a message is stored with; ``requested`` against the category is 400 (a client that
    believes its contract notice is marketing, or its newsletter is not, is told rather than
    silently overruled)."""
    if category in NEVER:
        if requested:
            raise MarketingNotChoosable(reference="marketing", category=category.value)
        return False
    if category in ALWAYS:
        if requested is False:
            raise MarketingNotChoosable(
                reference="marketing", message_key="MARKETING_FLAG_ALWAYS", category=category.value
            )
        return True
    return general_default if requested is None else requested


def decide(tx: Tx, studio_id: int, category: MessageCategory, requested: bool | None) -> bool:
    """:func:`is_marketing` with the studio's ``generalIsMarketing`` (read only when it matters)."""
    general_default = GENERAL_IS_MARKETING_DEFAULT
    if category is MessageCategory.GENERAL and requested is None:
        settings = MessagesRepository(tx, studio_id).settings()
        if settings is not None:
            general_default = settings.general_is_marketing
    return is_marketing(category, requested, general_default=general_default)
