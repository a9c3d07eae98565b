"""Twilio's signature scheme (pure functions)."""

from __future__ import annotations

import pytest

from studio_comms.sms.signature import is_valid, sign

# The example of Twilio's security documentation and helper libraries' tests.
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TOKEN = "12345"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
EXPECTED = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilios_documented_example() -> None:
    assert sign(TOKEN, URL, PARAMS) == EXPECTED
    # The order parameters arrive in does not matter: they are sorted by name.
    assert sign(TOKEN, URL, list(reversed(PARAMS))) == EXPECTED
    assert is_valid(TOKEN, URL, PARAMS, EXPECTED)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("54321", URL, PARAMS, EXPECTED),
        (TOKEN, URL.replace("https", "http"), PARAMS, EXPECTED),
        (TOKEN, URL, [*PARAMS[:-1], ("To", "+18005551213")], EXPECTED),
        (TOKEN, URL, [*PARAMS, ("Extra", "")], EXPECTED),
        (TOKEN, URL, PARAMS, None),
        (TOKEN, URL, PARAMS, ""),
        (TOKEN, URL, PARAMS, EXPECTED.lower()),
    ],
)
def test_anything_else_does_not_verify(
    token: str, url: str, params: list[tuple[str, str]], signature: str | None
) -> None:
    assert not is_valid(token, url, params, signature)
