"""Which language a member page speaks: the link's, the customer's, the browser's, the studio's."""

from __future__ import annotations

import pytest

from studio_comms.web.texts import choose_language


@pytest.mark.parametrize(
    ("link", "customer", "header", "studio", "expected"),
    [
        ("en", "de", "de", "de", "en"),
        (None, "de", "en", "en", "de"),
        (None, "de-AT", None, "en", "de"),
        (None, None, "de-CH,de;q=0.9", "en", "de"),
        (None, "fr", "fr, en;q=0.5", "de", "en"),
        (None, None, "fr", "de", "de"),
        (None, None, None, None, "en"),
    ],
)
def test_page_language_order(
    link: str | None, customer: str | None, header: str | None, studio: str | None, expected: str
) -> None:
    assert choose_language(link=link, customer=customer, accept_language=header, studio=studio) == expected
