"""A new studio: its row (``studios``) and its default offer (``preferences``), in one transaction.

The one use case that spans both packages lives above them, so neither imports the other.
"""

from __future__ import annotations

from datetime import datetime

from studio_comms.db.tx import Tx
from studio_comms.preferences.offer import seed_default_offer
from studio_comms.studios.schemas import StudioCreate, StudioRead
from studio_comms.studios.service import create_studio


def create_studio_with_offer(tx: Tx, data: StudioCreate, *, now: datetime) -> StudioRead:
    studio = create_studio(tx, data, now=now)
    seed_default_offer(tx, studio.studioId)
    return studio
