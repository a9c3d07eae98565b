"""The ledger's ``textVersion`` is only proof if the texts of a version never change silently."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from studio_comms.web import texts

TEMPLATES = Path(texts.__file__).resolve().parent / "templates"
# When this fails: raise texts.TEXT_VERSION and record the new fingerprint under it here.
FINGERPRINTS = {
    "prefcenter-2026-11-27.1": "7195ccd1042281fe8e604b78b416ab62a4aa5ae898942c5df47a6441b3a9c34e",
    # The soft-bounce pause (SOFT_BOUNCED, an enabled box), BOUNCED and COMPLAINED explained.
    "prefcenter-2026-12-08.1": "65522fb7bea37ed2b7ab3f2cdbcc6ee018d88596fe050dc4a9f3a6c71a9f1fad",
}


def fingerprint() -> str:
    digest = hashlib.sha256()
    catalogues = [texts.TEXTS, texts.CATEGORIES, texts.CHANNELS, texts.BLOCK_REASONS]
    digest.update(json.dumps(catalogues, sort_keys=True, ensure_ascii=False).encode())
    for template in sorted(TEMPLATES.glob("*.html")):
        digest.update(template.name.encode() + b"\0" + template.read_bytes())
    return digest.hexdigest()


def test_the_texts_of_a_version_never_change() -> None:
    assert FINGERPRINTS.get(texts.TEXT_VERSION) == fingerprint(), (
        "The member-facing texts changed: raise TEXT_VERSION and record the new fingerprint."
    )
