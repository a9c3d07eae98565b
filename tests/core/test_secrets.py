"""``core.secrets``: sealing is authenticated, keys rotate, a generated key is kept like the link secret."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from studio_comms.core import secrets
from studio_comms.core.secrets import SecretBox, SecretUnreadable
from studio_comms.settings import Settings

OLD, NEW = secrets.new_key(), secrets.new_key()


def test_a_sealed_secret_opens_to_itself_and_does_not_show_it() -> None:
    box = SecretBox([OLD])
    sealed = box.seal("twilio-auth-token-0123")
    assert sealed.startswith("enc1:")
    assert "twilio-auth-token" not in sealed
    assert box.seal("twilio-auth-token-0123") != sealed  # a fresh IV every time
    assert box.open(sealed) == "twilio-auth-token-0123"


def test_a_changed_byte_or_another_key_is_refused() -> None:
    sealed = SecretBox([OLD]).seal("secret")
    middle = len(sealed) // 2  # a whole base64 digit of the ciphertext (the last may be padding bits)
    tampered = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    with pytest.raises(SecretUnreadable):
        SecretBox([OLD]).open(tampered)
    with pytest.raises(SecretUnreadable, match="none of the keys"):
        SecretBox([NEW]).open(sealed)
    with pytest.raises(SecretUnreadable, match="not sealed"):
        SecretBox([OLD]).open("clear-text-token")


def test_rotation_seals_with_the_first_key_and_opens_with_any() -> None:
    sealed_with_old = SecretBox([OLD]).seal("secret")
    both = SecretBox([NEW, OLD])
    assert both.open(sealed_with_old) == "secret"
    resealed = both.reseal(sealed_with_old)
    assert SecretBox([NEW]).open(resealed) == "secret"
    assert SecretBox([NEW]).open(both.reseal("in clear")) == "in clear"
    assert SecretBox([NEW]).open_bytes(both.seal_bytes(b'{"a":1}')) == b'{"a":1}'


def test_without_a_configured_key_one_is_generated_once_into_the_var_directory(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", secret_key=None)  # type: ignore[arg-type]
    first = secrets.keys_from(settings)
    path = tmp_path / "var" / secrets.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets.keys_from(settings) == first  # kept, not generated again
    path.write_text("\n")
    with pytest.raises(RuntimeError, match="holds no secret key"):
        secrets.keys_from(settings)


def test_the_setting_takes_several_keys_and_refuses_a_malformed_one() -> None:
    settings = Settings(secret_key=f"{NEW}, {OLD}")  # type: ignore[arg-type]
    assert secrets.keys_from(settings) == [NEW, OLD]
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(secret_key="not-a-fernet-key")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("smtp://user:pw@mail.example.org:587?starttls=off", True),
        ("smtp://user:pw@10.0.0.5?starttls=off", True),
        ("smtp://user:pw@127.0.0.1:2525?starttls=off", False),
        ("smtp://user:pw@[::1]:2525?starttls=off", False),
        ("smtp://user:pw@localhost?starttls=off", False),
        ("smtp://mail.example.org?starttls=off", False),  # no credentials to leak
        ("smtp://user:pw@mail.example.org:587", False),  # STARTTLS before AUTH
    ],
)
def test_starttls_off_with_credentials_is_refused_unless_on_loopback(url: str, refused: bool) -> None:
    if refused:
        with pytest.raises(ValidationError, match="starttls=off"):
            Settings(smtp_url=url)  # type: ignore[arg-type]
    else:
        assert Settings(smtp_url=url).smtp_url is not None  # type: ignore[arg-type]
