"""Phone numbers in E.164 (``+4915112345678``), the only form we store and send.

Numbers arrive as people write them: a member's number typed at the studio desk in local format
(``0151 1234 5678``), a provider's sender in E.164. A local number only means something with a
country, so the studio's country code is the region it is read in; without one, only numbers
written internationally (``+…``) are accepted.
"""

from __future__ import annotations

import re

import phonenumbers

# What a person may write around the digits; anything else (a newline, letters) is refused
# before the parser sees it, as the parser would otherwise quietly skip it.
_WRITTEN = re.compile(r"^\+?[0-9 ()./-]{4,40}\Z")


class NotAPhoneNumber(ValueError):
    pass


def to_e164(written: str, region: str | None) -> str:
    """``written`` in E.164, read in ``region`` (ISO 3166 alpha-2) when it has no country code.

    Raises ``NotAPhoneNumber`` for what is not a valid number (wrong length for its country,
    an unassigned country code, a local number without a region).
    """
    if not _WRITTEN.fullmatch(written):
        raise NotAPhoneNumber("not a phone number")
    try:
        number = phonenumbers.parse(written, region.upper() if region else None)
    except phonenumbers.NumberParseException as error:
        raise NotAPhoneNumber(str(error)) from None
    if not phonenumbers.is_valid_number(number):
        raise NotAPhoneNumber("not a valid number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
