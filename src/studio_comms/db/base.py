"""Declarative base with a naming convention, so Alembic names constraints the same on both databases."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def import_all_models() -> None:
    """Register every table on ``Base.metadata`` (Alembic autogenerate and the model/migration diff test)."""
    from studio_comms.apikeys import models as _apikeys  # noqa: F401
    from studio_comms.communications import models as _communications  # noqa: F401
    from studio_comms.customers import models as _customers  # noqa: F401
    from studio_comms.idempotency import models as _idempotency  # noqa: F401
    from studio_comms.outbox import models as _outbox  # noqa: F401
    from studio_comms.preferences import models as _preferences  # noqa: F401
    from studio_comms.studios import models as _studios  # noqa: F401
    from studio_comms.webhooks import models as _webhooks  # noqa: F401
