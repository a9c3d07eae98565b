from __future__ import annotations

from studio_comms.core.errors import Conflict, Invalid, NotFound


class DuplicateCategory(Invalid):
    error_code = "DUPLICATE_CATEGORY"


class DuplicateChannel(Invalid):
    error_code = "DUPLICATE_CHANNEL"


class ChannelNotOffered(Invalid):
    error_code = "CHANNEL_NOT_OFFERED"


class ChannelNotOverridable(Invalid):
    error_code = "CHANNEL_NOT_OVERRIDABLE"


class ChannelSuppressed(Conflict):
    error_code = "CHANNEL_SUPPRESSED"


class SuppressionNotFound(NotFound):
    error_code = "SUPPRESSION_NOT_FOUND"
