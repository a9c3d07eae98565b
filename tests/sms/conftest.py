"""A fake Twilio on loopback and the app served on loopback, so each can POST to the other."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from studio_comms.settings import Settings
from tests.conftest import PUBLIC_URL
from tests.factories import World
from tests.servers import server_thread
from tests.sms.fake_twilio import FakeTwilio, fake_twilio

SMS_PROVIDER = "/admin/v1/studios/{}/sms-provider"
STUDIO_NUMBER = "+4930901820"


@dataclass(frozen=True)
class Account:
    studio_id: int
    account_sid: str
    auth_token: str
    status_url: str
    inbound_url: str


@pytest.fixture
def served(app: FastAPI, settings: Settings) -> Iterator[str]:
    """The app on a loopback port (the test's rolled-back connection behind it)."""
    with server_thread(app, settings) as base:
        yield base


@pytest.fixture
def twilio(served: str) -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        fake.public_url = PUBLIC_URL
        fake.app_url = served
        yield fake


def open_account(admin: TestClient, twilio: FakeTwilio, studio_id: int) -> Account:
    account_sid, auth_token = twilio.open_account()
    response = admin.put(
        SMS_PROVIDER.format(studio_id),
        json={"accountSid": account_sid, "authToken": auth_token, "sender": STUDIO_NUMBER},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Account(studio_id, account_sid, auth_token, body["statusCallbackUrl"], body["inboundUrl"])


@pytest.fixture
def account_a(admin: TestClient, twilio: FakeTwilio, world: World) -> Account:
    return open_account(admin, twilio, world.studio_a)


@pytest.fixture
def account_b(admin: TestClient, twilio: FakeTwilio, world: World) -> Account:
    return open_account(admin, twilio, world.studio_b)
