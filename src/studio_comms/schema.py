"""Every table of the service on one ``MetaData``: what Alembic compares the migrations with.

Each package owns its tables (``<package>/models.py``); this module only gathers them, for the
migrations and the model/migration diff test. Running code never needs it.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from studio_comms.apikeys import models as _apikeys  # noqa: F401
from studio_comms.bounces import models as _bounces  # noqa: F401
from studio_comms.communications import models as _communications  # noqa: F401
from studio_comms.customers import models as _customers  # noqa: F401
from studio_comms.db.base import Base
from studio_comms.idempotency import models as _idempotency  # noqa: F401
from studio_comms.mailevents import models as _mailevents  # noqa: F401
from studio_comms.messages import models as _messages  # noqa: F401
from studio_comms.outbox import models as _outbox  # noqa: F401
from studio_comms.preferences import models as _preferences  # noqa: F401
from studio_comms.sms import models as _sms  # noqa: F401
from studio_comms.studios import models as _studios  # noqa: F401
from studio_comms.webhooks import models as _webhooks  # noqa: F401

METADATA: MetaData = Base.metadata
