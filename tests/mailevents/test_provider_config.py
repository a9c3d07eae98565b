"""A studio's mail relay through the operator API: secrets write-only, sealed at rest."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient

from studio_comms.core import secrets
from studio_comms.core.secrets import SecretBox
from studio_comms.db.database import Database
from studio_comms.db.sql import Sql
from studio_comms.mailevents import service
from tests.assertions import assert_error
from tests.conftest import PUBLIC_URL
from tests.factories import World
from tests.mailevents.helpers import (
    MAIL_PROVIDER,
    MAILGUN_KEY,
    POSTMARK_PASSWORD,
    SendgridKey,
    configure,
    postmark_config,
)


def test_each_provider_is_configured_and_its_secret_never_shown(admin: TestClient, world: World) -> None:
    url = MAIL_PROVIDER.format(world.studio_a)
    answer = configure(admin, world.studio_a, postmark_config())
    assert answer == {
        "provider": "POSTMARK",
        "username": "postmark-hooks",
        "secretSet": True,
        "eventsUrl": f"{PUBLIC_URL}/mail-events/postmark/{world.studio_a}",
    }
    assert admin.get(url).json() == answer
    assert POSTMARK_PASSWORD not in admin.get(url).text
    mailgun = configure(admin, world.studio_a, {"provider": "MAILGUN", "signingKey": MAILGUN_KEY})
    assert mailgun["eventsUrl"].endswith(f"/mail-events/mailgun/{world.studio_a}")
    assert "username" not in mailgun
    assert MAILGUN_KEY not in admin.get(url).text
    key = SendgridKey()
    sendgrid = configure(
        admin, world.studio_a, {"provider": "SENDGRID", "verificationKey": key.verification_key}
    )
    assert sendgrid["provider"] == "SENDGRID"
    assert key.verification_key not in admin.get(url).text
    assert admin.delete(url).status_code == 204
    assert_error(admin.get(url), 404, "MAIL_PROVIDER_NOT_CONFIGURED")
    assert_error(admin.delete(url), 404, "MAIL_PROVIDER_NOT_CONFIGURED")


_STORED = Sql("SELECT secret FROM mail_provider_credentials WHERE studio_id = :studio_id")


def test_the_secret_is_sealed_at_rest(admin: TestClient, world: World, db: Database) -> None:
    configure(admin, world.studio_a, {"provider": "MAILGUN", "signingKey": MAILGUN_KEY})
    with db.transaction(write=False) as tx:
        stored = tx.scalar(_STORED, studio_id=world.studio_a)
    assert MAILGUN_KEY not in stored
    assert secrets.box().open(stored) == MAILGUN_KEY
    # ``secrets rotate`` reseals it with a new first key (the old one still opens until then).
    new = secrets.new_key()
    rotated = SecretBox([new, *os.environ["STUDIO_COMMS_SECRET_KEY"].split(",")])
    with db.transaction() as tx:
        assert service.reseal(tx, world.studio_a, rotated) == 1
        assert service.reseal(tx, world.studio_b, rotated) == 0  # none configured
    with db.transaction(write=False) as tx:
        assert SecretBox([new]).open(tx.scalar(_STORED, studio_id=world.studio_a)) == MAILGUN_KEY


def test_bad_configurations_are_refused(admin: TestClient, world: World) -> None:
    url = MAIL_PROVIDER.format(world.studio_a)
    assert_error(admin.put(url, json={"provider": "SES", "topicArn": "x"}), 400, "VALIDATION_FAILED")
    assert_error(admin.put(url, json={"provider": "MAILGUN"}), 400, "VALIDATION_FAILED")
    assert_error(
        admin.put(url, json={"provider": "MAILGUN", "signingKey": MAILGUN_KEY, "x": 1}),
        400,
        "VALIDATION_FAILED",
    )
    not_a_key = {"provider": "SENDGRID", "verificationKey": "A" * 88}
    assert_error(admin.put(url, json=not_a_key), 400, "MAIL_PROVIDER_KEY_INVALID", "verificationKey")
    assert_error(admin.get(url), 404, "MAIL_PROVIDER_NOT_CONFIGURED")  # nothing half-written
    assert_error(admin.put(MAIL_PROVIDER.format(999999), json=postmark_config()), 404, "STUDIO_NOT_FOUND")
