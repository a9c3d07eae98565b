"""What a member's SMS reply asks for: revoke, opt in again, help, or something to look at.

Since April 2025 the FCC's TCPA rule makes *any reasonable means* a valid revocation of consent
to texts, naming at least STOP, QUIT, END, REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE; members of
German-speaking studios write STOPP, ABMELDEN, ABBESTELLEN or KEINE SMS. :func:`read` sorts a
reply into one of four readings (or none):

``REVOKE``
    A keyword reply: the whole message is revocation words (:data:`REVOKE_PHRASES`), whatever
    the case, punctuation and greeting or politeness words around them (:data:`FILLER`):
    "STOP", "Stop please", "STOP!!", "Stop. Thanks", "bitte abmelden", "opt-out", "stop stop".
    Or a longer text that clearly asks not to be texted (:data:`CLEAR_REQUESTS`): "please don't
    text me anymore", "no more texts", "bitte keine Nachrichten mehr" — unless a negation comes
    before the request ("I don't want you to stop texting me") or the text is a question ("can
    I stop the texts?"): those are ``UNCLEAR``.
``OPT_IN``
    START or UNSTOP as the whole message (YES is *not* one: the double opt-in's confirmation
    will give it its meaning).
``HELP``
    HELP, INFO or HILFE as the whole message: answered with the studio's contact.
``UNCLEAR``
    Not one of the above, but one of the keyword words stands in it as a word of its own
    (:data:`MENTIONS`): "I'll stop by tomorrow", "can't wait to start", "I need to cancel my
    class". Nothing is applied; the reply is listed for an operator to decide.

The reading names the words that made it (``Reading.words``): the keyword in capitals ("OPT
OUT") or the request as written, lower-cased ("don't text me anymore"). A pure function of the
text: no I/O, no state.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise


class Intent(StrEnum):
    REVOKE = "REVOKE"
    OPT_IN = "OPT_IN"
    HELP = "HELP"
    UNCLEAR = "UNCLEAR"


@dataclass(frozen=True, slots=True)
class Reading:
    intent: Intent
    # The words the reading rests on, as recorded in the consent ledger and the operator queue.
    words: str


# Whole-message keywords, as words after the text is split (a hyphen splits: "OPT-OUT" is "opt out").
REVOKE_PHRASES: frozenset[tuple[str, ...]] = frozenset(
    tuple(phrase.split())
    for phrase in (
        # The FCC's words, CTIA's and Twilio's, and common variants.
        "stop",
        "stop all",
        "stopall",
        "unsubscribe",
        "unsub",
        "cancel",
        "end",
        "quit",
        "revoke",
        "opt out",
        "optout",
        "remove",
        "remove me",
        "unsubscribe me",
        "opt me out",
        # German.
        "stopp",
        "abmelden",
        "abbestellen",
        "austragen",
        "keine sms",
    )
)
OPT_IN_PHRASES: frozenset[tuple[str, ...]] = frozenset({("start",), ("unstop",)})
HELP_PHRASES: frozenset[tuple[str, ...]] = frozenset({("help",), ("info",), ("hilfe",)})

# Greeting and politeness words that may stand around a keyword without changing it.
FILLER = frozenset({
    "please", "pls", "plz", "thanks", "thank", "thx", "ty", "you", "cheers", "hi", "hello",
    "hey", "dear", "ok", "okay", "now", "asap", "sorry", "bitte", "danke", "dankeschön",
    "schön", "vielen", "dank", "hallo", "moin", "servus", "lg", "mfg", "gruß", "grüße", "liebe",
    "lieber", "sofort", "jetzt",
})  # fmt: skip

# Longer replies that clearly ask not to be texted (the normalised text: lower case, straight
# apostrophes, single blanks).
_TEXTS = r"(?:texts?|txts?|messages?|msgs?|sms|text messages?)"
_NACHRICHTEN = r"(?:sms|nachrichten|textnachrichten|sms-nachrichten|mitteilungen|werbung)"
CLEAR_REQUESTS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        # English
        r"\b(?:don't|dont|do not|never)\s+(?:ever\s+)?(?:text|txt|message|msg|sms|contact)\s+me"
        r"(?:\s+(?:any ?more|again|ever))?\b",
        rf"\b(?:don't|dont|do not)\s+send\s+(?:me\s+)?(?:any\s+)?(?:more\s+)?{_TEXTS}\b",
        rf"\bno\s+more\s+{_TEXTS}\b",
        r"\bstop\s+(?:texting|messaging|contacting)(?:\s+me)?\b",
        rf"\bstop\s+sending\s+(?:(?:me\s+)?(?:any\s+|these\s+|the\s+|your\s+)?{_TEXTS}\b|me\b)",
        rf"\bstop\s+(?:all\s+|the\s+|these\s+|your\s+)?{_TEXTS}\b",
        r"\b(?:unsubscribe|opt\s*-?\s*out)\s+me\b",
        rf"\b(?:remove\s+me\s+from|take\s+me\s+off)\s+(?:your\s+|the\s+|this\s+|all\s+)?"
        rf"(?:(?:text|sms|mailing|contact)\s+)?(?:lists?|{_TEXTS})\b",
        r"\bopt\s+me\s+out\b",
        r"\b(?:want|wish|would like|'d like)\s+to\s+(?:unsubscribe|opt\s*-?\s*out)\b",
        r"\b(?:want|wish|would like|'d like)\s+to\s+stop\s+(?:receiving|getting)\s+"
        rf"(?:any\s+|these\s+|your\s+)?{_TEXTS}\b",
        r"\b(?:no longer|don't|dont|do not)\s+(?:want|wish)\s+(?:to\s+(?:receive|get)\s+)?"
        rf"(?:any\s+)?(?:more\s+)?{_TEXTS}\b",
        r"\b(?:revoke|withdraw)\s+(?:my\s+)?consent\b",
        # German
        rf"\bkeine\s+(?:weiteren\s+)?{_NACHRICHTEN}\s+mehr\b",
        rf"\b(?:möchte|will|wünsche)\s+keine\s+(?:weiteren\s+)?{_NACHRICHTEN}\b",
        r"\b(?:schreib|schreibt|schreiben sie|schick|schickt|schicken sie|sende|sendet|senden sie)\s+"
        r"mir\s+(?:bitte\s+)?(?:keine|nicht mehr|nichts mehr)\b",
        r"\bnicht\s+mehr\s+(?:anschreiben|kontaktieren|schreiben|simsen|benachrichtigen)\b",
        rf"\b(?:von|vom)\s+(?:den\s+|diesen\s+|ihren\s+|euren\s+|allen\s+)?{_NACHRICHTEN}\b[^.!?]{{0,60}}"
        r"\b(?:abmelden|austragen|abbestellen)\b",
        rf"\b{_NACHRICHTEN}\s+(?:abbestellen|abmelden)\b",
        r"\b(?:einwilligung|zustimmung)\s+(?:widerrufen|zurückziehen)\b",
        r"\bwiderrufe\s+(?:hiermit\s+)?(?:meine\s+)?(?:einwilligung|zustimmung)\b",
    )
)
# A negation before the request turns it around ("I don't want you to stop texting me").
_NEGATIONS = frozenset({"not", "never", "don't", "dont", "doesn't", "didn't", "nicht", "nie", "niemals"})
# Keyword words standing in a text as words of their own: the reply is worth an operator's look.
MENTIONS = frozenset({
    "stop", "stopp", "stoppen", "stopall", "unsubscribe", "unsub", "cancel", "end", "quit",
    "revoke", "optout", "remove", "abmelden", "abbestellen", "austragen", "widerrufen",
    "widerrufe", "start", "unstop",
})  # fmt: skip
_MENTION_PAIRS = (("opt", "out"), ("keine", "sms"))

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
MAX_WORDS = 200  # characters of ``Reading.words`` (a free-text request is quoted, bounded)


def normalise(body: str) -> str:
    """Lower case (``ß`` kept), straight apostrophes, single blanks."""
    text = unicodedata.normalize("NFKC", body).translate(_APOSTROPHES).lower()
    return " ".join(text.split())


def words_of(text: str) -> list[str]:
    return _WORD.findall(text)


def read(body: str) -> Reading | None:
    """What ``body`` asks for, or ``None`` when it mentions none of the keyword words."""
    text = normalise(body)
    tokens = words_of(text)
    core = [token for token in tokens if token not in FILLER]
    keyword = _keyword(core)
    if keyword is not None:
        return keyword
    request = _clear_request(text)
    if request is not None:
        return request
    mentioned = _mentions(tokens)
    if mentioned:
        return Reading(Intent.UNCLEAR, " ".join(mentioned))
    return None


def _keyword(core: list[str]) -> Reading | None:
    if not core:
        return None
    phrase = tuple(core)
    if phrase in OPT_IN_PHRASES:
        return Reading(Intent.OPT_IN, " ".join(phrase).upper())
    if phrase in HELP_PHRASES:
        return Reading(Intent.HELP, " ".join(phrase).upper())
    found = _as_revoke_phrases(phrase)
    if found is None:
        return None
    return Reading(Intent.REVOKE, ", ".join(dict.fromkeys(found)))


def _as_revoke_phrases(tokens: tuple[str, ...]) -> list[str] | None:
    """``tokens`` as a sequence of revocation phrases ("stop", "stop stop", "stop unsubscribe"),
    longest first; ``None`` if any word is left over."""
    found: list[str] = []
    position = 0
    longest = max(len(phrase) for phrase in REVOKE_PHRASES)
    while position < len(tokens):
        for length in range(min(longest, len(tokens) - position), 0, -1):
            candidate = tokens[position : position + length]
            if candidate in REVOKE_PHRASES:
                found.append(" ".join(candidate).upper())
                position += length
                break
        else:
            return None
    return found


def _clear_request(text: str) -> Reading | None:
    if text.rstrip().endswith("?"):
        return None
    for pattern in CLEAR_REQUESTS:
        match = pattern.search(text)
        if match is None:
            continue
        if _NEGATIONS.intersection(words_of(text[: match.start()])):
            return None
        return Reading(Intent.REVOKE, match.group(0).strip()[:MAX_WORDS])
    return None


def _mentions(tokens: list[str]) -> list[str]:
    found = [token for token in tokens if token in MENTIONS]
    for first, second in _MENTION_PAIRS:
        if any(a == first and b == second for a, b in pairwise(tokens)):
            found.append(f"{first} {second}")
    return list(dict.fromkeys(found))
