from __future__ import annotations

import pytest

from studio_comms.core.messages import CATALOGUE, pick_language, render
from studio_comms.core.validation import reference_from_loc


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "en"),
        ("", "en"),
        ("de", "de"),
        ("de-AT", "de"),
        ("de-CH,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR, de;q=0.5", "de"),
        ("fr, es", "en"),
        ("en;q=0.3, de;q=0.7", "de"),
        ("de;q=0", "en"),
        ("*", "en"),
        ("de;q=abc, en", "en"),
    ],
)
def test_pick_language(header: str | None, language: str) -> None:
    assert pick_language(header) == language


def test_every_message_exists_in_english_and_german() -> None:
    for key, texts in CATALOGUE.items():
        assert set(texts) == {"en", "de"}, key


def test_render_survives_a_missing_placeholder() -> None:
    assert render("CUSTOMER_NOT_FOUND", "de", {"customerId": 5}) == "Kunde 5 wurde nicht gefunden."
    assert render("CUSTOMER_NOT_FOUND", "de", {}) == CATALOGUE["CUSTOMER_NOT_FOUND"]["en"]


@pytest.mark.parametrize(
    ("loc", "reference"),
    [
        (("body", 0, "channels", 1, "communicationChannel"), "[0].channels[1].communicationChannel"),
        (("body", "name"), "name"),
        (("path", "customerId"), "customerId"),
        (("query", "sliceSize"), "sliceSize"),
        (("body",), ""),
    ],
)
def test_reference_uses_sport_alliance_paths(loc: tuple[object, ...], reference: str) -> None:
    assert reference_from_loc(loc) == reference
