"""Secrets at rest: provider credentials and webhook secrets sealed with a key from the environment.

Sealing is Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``): authenticated, so a
changed byte in the database is refused instead of decrypting to garbage. ``MultiFernet`` opens
with any of several keys and seals with the first, so a key is rotated in three steps (README,
"Secrets at rest"): put the new key first (``STUDIO_COMMS_SECRET_KEY=NEW,OLD``), re-seal what is
stored (``studio-comms secrets rotate``), drop the old key.

The keys come from ``STUDIO_COMMS_SECRET_KEY`` (comma-separated), else from ``VAR_DIR/secret-key``
(one key a line; generated with mode 0600 on first use, as the link secret is). A stored value is
``enc1:`` + the Fernet token, so a value that was never sealed is told apart (the migration that
introduced sealing sealed every older row).

Every process holds one :class:`SecretBox` (:func:`install` at start-up, from the settings; a
command that never installed one builds it from the environment on first use): repositories seal
what they write and open what they read, without threading a key through every call.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from studio_comms.settings import Settings

PREFIX = "enc1:"
_OPENED_KEPT = 4096
KEY_FILE = "secret-key"


class SecretUnreadable(RuntimeError):
    """A stored secret no configured key opens (a wrong or missing STUDIO_COMMS_SECRET_KEY)."""


class SecretBox:
    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("at least one secret key is needed")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError):
            raise ValueError(
                "a secret key is 32 url-safe base64-encoded bytes; "
                "make one with `studio-comms secrets new-key`"
            ) from None
        # Opened values by stored value: the worker opens a subscription's secrets for every
        # delivery it sends, and a stored value opens to the same secret every time.
        self._opened: dict[str, str] = {}

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, stored: str) -> str:
        opened = self._opened.get(stored)
        if opened is not None:
            return opened
        if not is_sealed(stored):
            raise SecretUnreadable("a stored secret is not sealed: run `studio-comms migrate`")
        try:
            opened = self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "a stored secret opens with none of the keys in STUDIO_COMMS_SECRET_KEY "
                "(or VAR_DIR/secret-key): was a key dropped before `studio-comms secrets rotate`?"
            ) from None
        if len(self._opened) >= _OPENED_KEPT:
            self._opened.clear()
        self._opened[stored] = opened
        return opened

    def seal_bytes(self, plain: bytes) -> bytes:
        return PREFIX.encode() + self._fernet.encrypt(plain)

    def open_bytes(self, stored: bytes) -> bytes:
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX.encode()))
        except InvalidToken:
            raise SecretUnreadable("a stored secret opens with none of the configured keys") from None

    def reseal(self, stored: str) -> str:
        """Sealed with the first key (a value in clear is sealed)."""
        if not is_sealed(stored):
            return self.seal(stored)
        return PREFIX + self._fernet.rotate(stored.removeprefix(PREFIX).encode()).decode()


class HoldsSecrets:
    """Marks a response model that shows credentials: a stored copy of it (the replay of an
    ``Idempotency-Key``) is sealed, so no secret sits readable in the database."""


def holds_secrets(value: object) -> bool:
    return isinstance(value, HoldsSecrets)


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def new_key() -> str:
    return Fernet.generate_key().decode()


def keys_from(settings: Settings) -> list[str]:
    """The configured keys, first the one that seals; generated into the var directory when unset."""
    configured = settings.secret_key
    if configured is not None:
        return _split(configured.get_secret_value())
    return _load_or_create(settings.var_dir / KEY_FILE)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def _load_or_create(path: Path) -> list[str]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process starting at the same time wrote it: read theirs
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(new_key() + "\n")
    keys = _split(path.read_text())
    if not keys:
        # An emptied file must not silently become a new key (every stored secret would be lost).
        raise RuntimeError(f"{path} holds no secret key; restore it, or delete it only if nothing is stored")
    return keys


_lock = threading.Lock()
_installed: list[SecretBox] = []


def install(box: SecretBox) -> None:
    """This process's box (``create_app``, the worker and commands install theirs at start)."""
    with _lock:
        _installed[:] = [box]


def install_from(settings: Settings) -> SecretBox:
    box = SecretBox(keys_from(settings))
    install(box)
    return box


def box() -> SecretBox:
    """The installed box, or one built from the environment's settings on first use."""
    with _lock:
        if _installed:
            return _installed[0]
    return install_from(Settings())
