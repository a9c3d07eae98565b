"""The link secret: from ``STUDIO_COMMS_LINK_SECRET``, else generated once and kept on disk.

A generated secret lives in ``VAR_DIR/link-secret`` (mode 0600), so links survive restarts and
every process sharing the directory signs alike. Several processes starting at once race on an
exclusive create: the loser reads the winner's file. Resolved on first use, not at start-up, so
an app that never issues or checks a link never touches the disk.
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from studio_comms.links.tokens import LinkSigner
from studio_comms.settings import Settings

SECRET_FILE = "link-secret"  # noqa: S105 (a file name)


def load_or_create_secret(path: Path) -> bytes:
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48) + "\n")
    return _read(path)


def _read(path: Path) -> bytes:
    secret = path.read_text().strip().encode()
    if len(secret) < 32:
        # A truncated or emptied file must not silently become a weak key.
        raise RuntimeError(f"{path} holds no usable link secret; delete it to generate a new one")
    return secret


class LazySigner:
    """The app's ``LinkSigner``, built on first use (``app.state.link_signer``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._signer: LinkSigner | None = None
        self._lock = threading.Lock()

    def get(self) -> LinkSigner:
        with self._lock:
            if self._signer is None:
                configured = self._settings.link_secret
                secret = (
                    configured.get_secret_value().encode()
                    if configured is not None
                    else load_or_create_secret(self._settings.var_dir / SECRET_FILE)
                )
                self._signer = LinkSigner(secret)
            return self._signer
