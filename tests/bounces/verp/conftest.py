"""Signed VERP on: every e-mail's envelope sender is bounces+{studio}.{message}.{tag}@…"""

from __future__ import annotations

import pytest

from studio_comms.settings import Settings

BOUNCE_ADDRESS = "bounces@mail.studio.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"bounce_address": BOUNCE_ADDRESS})
