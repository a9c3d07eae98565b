"""The compatible enums (exact values of the Sport Alliance Open API) shared by several domains."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from studio_comms.core.schemas import inline_enum


class MessageCategory(StrEnum):
    CONTRACT = "CONTRACT"
    GENERAL = "GENERAL"
    APPOINTMENT = "APPOINTMENT"
    NEWSLETTER = "NEWSLETTER"
    LOYALTY_PROGRAM = "LOYALTY_PROGRAM"


class CommunicationChannel(StrEnum):
    LETTER = "LETTER"
    EMAIL = "EMAIL"
    TEXT_MESSAGE = "TEXT_MESSAGE"
    PHONE = "PHONE"
    FAX = "FAX"
    CONVERSATION = "CONVERSATION"
    CHAT = "CHAT"
    OTHER = "OTHER"


# The order GET answers in: the order of the enums, so responses are stable.
CATEGORY_ORDER = {category: index for index, category in enumerate(MessageCategory)}
CHANNEL_ORDER = {channel: index for index, channel in enumerate(CommunicationChannel)}

# As the compatible schemas publish them: written into each property (see ``inline_enum``).
InlineMessageCategory = Annotated[MessageCategory, inline_enum(MessageCategory)]
InlineCommunicationChannel = Annotated[CommunicationChannel, inline_enum(CommunicationChannel)]
# Stored text to member, for rows read on hot paths (a dict lookup, not the Enum constructor's).
CATEGORY_OF = {category.value: category for category in MessageCategory}
CHANNEL_OF = {channel.value: channel for channel in CommunicationChannel}
