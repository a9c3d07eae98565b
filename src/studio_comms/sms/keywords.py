"""What a member's reply asks for: the opt-out and opt-in keywords of SMS practice.

The English words are those carriers and Twilio's Advanced Opt-Out honour (CTIA); STOPP and
ABMELDEN are what members in German-speaking studios write. A reply is a keyword only when it is
the whole message (blanks, case and closing punctuation aside): "stop." opts out, "don't stop
the yoga class" does not.
"""

from __future__ import annotations

from enum import StrEnum

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPP", "ABMELDEN"})
OPT_IN = frozenset({"START", "UNSTOP"})
_TRAILING = " \t\r\n.!?"


class Keyword(StrEnum):
    OPT_OUT = "OPT_OUT"
    OPT_IN = "OPT_IN"


def keyword_of(body: str) -> Keyword | None:
    word = body.strip().rstrip(_TRAILING).strip().upper()
    if word in OPT_OUT:
        return Keyword.OPT_OUT
    if word in OPT_IN:
        return Keyword.OPT_IN
    return None
