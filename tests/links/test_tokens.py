"""Signed member links and form tokens (pure), and the link secret file."""

from __future__ import annotations

import base64
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.links.secret import LazySigner, load_or_create_secret
from studio_comms.links.tokens import LinkClaims, LinkPurpose, LinkSigner, TokenExpired, TokenInvalid
from studio_comms.settings import Settings
from tests.forgery import with_flipped_signature

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SIGNER = LinkSigner(b"k" * 32)
PREFS = LinkClaims(LinkPurpose.PREFERENCES, 7, 1, 0, NOW + timedelta(days=30), language="de")
UNSUB = LinkClaims(
    LinkPurpose.UNSUBSCRIBE,
    7,
    1,
    3,
    NOW + timedelta(days=365),
    category=MessageCategory.NEWSLETTER,
    channel=CommunicationChannel.EMAIL,
)


def _payload(token: str) -> list[object]:
    part = token.split(".")[0]
    loaded: list[object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return loaded


def _with_payload(token: str, fields: list[object]) -> str:
    part = base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).rstrip(b"=")
    return part.decode() + "." + token.split(".")[1]


@pytest.mark.parametrize("claims", [PREFS, UNSUB])
def test_a_signed_link_verifies_to_its_claims(claims: LinkClaims) -> None:
    token = SIGNER.sign(claims)
    assert all(c.isalnum() or c in "-_." for c in token)
    assert SIGNER.verify(token, claims.purpose, now=NOW) == claims


def test_re_pointing_a_token_at_another_customer_or_studio_breaks_it() -> None:
    token = SIGNER.sign(PREFS)
    fields = _payload(token)
    assert fields[:2] == [7, 1]
    for index, value in ((1, 2), (0, 8), (2, 1), (3, int((NOW + timedelta(days=999)).timestamp()))):
        forged = list(fields)
        forged[index] = value
        with pytest.raises(TokenInvalid):
            SIGNER.verify(_with_payload(token, forged), LinkPurpose.PREFERENCES, now=NOW)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "abc.", ".abc", "a.b.c", "x" * 2000, "é.é", "eyJ9.AAAA"],
)
def test_garbage_is_invalid_not_an_error(token: str) -> None:
    with pytest.raises(TokenInvalid):
        SIGNER.verify(token, LinkPurpose.PREFERENCES, now=NOW)


def test_a_token_of_another_purpose_or_key_is_invalid() -> None:
    with pytest.raises(TokenInvalid):
        SIGNER.verify(SIGNER.sign(UNSUB), LinkPurpose.PREFERENCES, now=NOW)
    with pytest.raises(TokenInvalid):
        SIGNER.verify(SIGNER.sign(PREFS), LinkPurpose.UNSUBSCRIBE, now=NOW)
    with pytest.raises(TokenInvalid):
        LinkSigner(b"z" * 32).verify(SIGNER.sign(PREFS), LinkPurpose.PREFERENCES, now=NOW)


def test_a_token_expires_at_its_instant() -> None:
    token = SIGNER.sign(PREFS)
    SIGNER.verify(token, LinkPurpose.PREFERENCES, now=PREFS.expires_at - timedelta(seconds=1))
    with pytest.raises(TokenExpired):
        SIGNER.verify(token, LinkPurpose.PREFERENCES, now=PREFS.expires_at)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        LinkSigner(b"short")


def test_form_tokens_are_bound_to_link_action_and_time() -> None:
    form = SIGNER.form_token("link-a", "review", now=NOW)
    assert SIGNER.form_token_valid(form, "link-a", "review", now=NOW + timedelta(hours=1))
    assert form != SIGNER.form_token("link-a", "review", now=NOW)  # a fresh nonce each time
    assert not SIGNER.form_token_valid(form, "link-b", "review", now=NOW)
    assert not SIGNER.form_token_valid(form, "link-a", "save", now=NOW)
    assert not SIGNER.form_token_valid(form, "link-a", "review", now=NOW + timedelta(hours=3))
    assert not SIGNER.form_token_valid(form, "link-a", "review", now=NOW - timedelta(hours=1))
    assert not LinkSigner(b"z" * 32).form_token_valid(form, "link-a", "review", now=NOW)
    forgeries = ("", "1.2", "x.y.z", with_flipped_signature(form), f"{int(NOW.timestamp()) + 1}{form[10:]}")
    for forged in forgeries:
        assert not SIGNER.form_token_valid(forged, "link-a", "review", now=NOW)


def test_the_generated_secret_is_private_and_survives_restarts(tmp_path: Path) -> None:
    path = tmp_path / "var" / "link-secret"
    first = load_or_create_secret(path)
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == first
    settings = Settings(var_dir=tmp_path / "var")
    token = LazySigner(settings).get().sign(PREFS)
    assert LazySigner(settings).get().verify(token, LinkPurpose.PREFERENCES, now=NOW) == PREFS


def test_an_emptied_secret_file_is_an_error_not_a_weak_key(tmp_path: Path) -> None:
    path = tmp_path / "link-secret"
    path.write_text("\n")
    with pytest.raises(RuntimeError, match="no usable link secret"):
        load_or_create_secret(path)


def test_a_configured_secret_wins_and_must_be_long() -> None:
    settings = Settings(link_secret="s" * 40)  # type: ignore[arg-type]
    assert LazySigner(settings).get().sign(PREFS) == LinkSigner(b"s" * 40).sign(PREFS)
    with pytest.raises(ValueError, match="at least 32"):
        Settings(link_secret="short")  # type: ignore[arg-type]
