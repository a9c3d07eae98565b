"""Why a message came back or was refused, and whether that is the member's address failing for
good (pure; bounces read from returned mail and SMTP answers at send time alike).

The decision comes from the RFC 3463 enhanced status code, the SMTP reply code and the diagnostic
text, in this order of trust:

1. **Permanence**: a ``4.x.x`` status or a ``4xx`` reply (or ``Action: delayed``) is transient
   whatever the text says; ``5.x.x`` / ``5xx`` is permanent; a text bounce without codes is
   permanent unless its words say it will be retried.
2. **Reason**: words that blame the *sender* (SPF, DKIM, DMARC, PTR, a blocklisted IP, Gmail's
   5.7.26, Microsoft's 5.7.515), its *rate*, *relaying* or the *content* win over everything (servers
   send them with 5.7.1, 5.0.0, even 5.1.1); then the status code's subject (5.1.1 user unknown,
   5.1.2 host unknown, 5.2.2 mailbox full, 5.3.4 too large, 4.4.7 expired …); then the remaining
   words (user unknown, no such domain, quota …).
3. **Hard** (the member's address is dead: suppress) only for a permanent *address-level* reason:
   user unknown, host unknown, mailbox disabled or moved. A full mailbox, an expired or delayed
   message, a rate limit, a spam verdict, the studio's own DKIM/DMARC failing: never the member's
   fault, never suppressed (issue 17).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    USER_UNKNOWN = "USER_UNKNOWN"
    HOST_UNKNOWN = "HOST_UNKNOWN"
    # The mailbox exists no more (disabled, deactivated, moved): as dead as an unknown user.
    MAILBOX_DISABLED = "MAILBOX_DISABLED"
    MAILBOX_FULL = "MAILBOX_FULL"
    EXPIRED = "EXPIRED"
    TRANSIENT = "TRANSIENT"
    RATE_LIMITED = "RATE_LIMITED"
    TOO_LARGE = "TOO_LARGE"
    CONTENT_BLOCKED = "CONTENT_BLOCKED"
    # The sender's setup: SPF, DKIM, DMARC, PTR, a blocklisted IP, policy.
    SENDER_POLICY = "SENDER_POLICY"
    RELAYING_DENIED = "RELAYING_DENIED"
    COMPLAINT = "COMPLAINT"
    AUTO_REPLY = "AUTO_REPLY"
    DELIVERED = "DELIVERED"
    UNKNOWN = "UNKNOWN"


ADDRESS_LEVEL = frozenset({Reason.USER_UNKNOWN, Reason.HOST_UNKNOWN, Reason.MAILBOX_DISABLED})
# A soft bounce of the *member's address*: it failed this time, on the recipient's side, and may
# work again (counted; N of them within D days suppress EMAIL with SOFT_BOUNCED). Not counted: the
# sender's setup or reputation (SENDER_POLICY, RELAYING_DENIED, RATE_LIMITED), this message's
# content or size (CONTENT_BLOCKED, TOO_LARGE), complaints, auto-replies, and UNKNOWN (a reason we
# cannot name proves nothing about the address).
SOFT_BOUNCE = frozenset({Reason.MAILBOX_FULL, Reason.EXPIRED, Reason.TRANSIENT})


@dataclass(frozen=True, slots=True)
class Verdict:
    reason: Reason
    hard: bool
    # The enhanced status code the decision read (from the Status field or the text), if any.
    status: str | None = None


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns), re.IGNORECASE)


# Words that name the sender's fault: checked first, servers send them with any code.
_SENDER = _words(
    r"\bspf\b",
    r"\bdkim\b",
    r"\bdmarc\b",
    r"\bptr\b",
    r"reverse (?:dns|lookup|mapping)",
    r"\brdns\b",
    r"5\.7\.(?:2[3-9]|515)",
    r"unauthenticated (?:e-?)?mail",
    r"not authenticated",
    r"spamhaus",
    r"spamcop",
    r"\bsorbs\b",
    r"barracuda",
    r"block ?list",
    r"black ?list",
    r"\brbl\b",
    r"dnsbl",
    r"(?<!not )listed (?:at|in|on|by)",
    r"not accepting mail from",
    r"requires confirmation",
    r"not allowed to send",
    r"client host .{0,80}(?:blocked|rejected|refused)",
    r"(?:your|sending|client|remote) ip\b",
    r"\bip (?:address )?\S* ?(?:is |has been )?(?:blocked|listed|banned|blacklisted)",
    r"reputation",
    r"sender (?:address )?(?:rejected|denied|blocked|verify failed)",
    r"sender domain",
    r"helo",
    r"not permitted to send",
    r"policy rejection",
    r"sender policy",
    r"(?:mail|messages?) from .{0,60} (?:is|are) (?:blocked|not accepted)",
    r"blocked by .{0,40}(?:policy|administrator)",
    r"you are not allowed",
    r"refused to talk",
    r"(?:host|domain) .{0,40}has no (?:valid )?(?:ptr|reverse)",
)
_RATE = _words(
    r"rate limit",
    r"rate[- ]limited",
    r"too many (?:connections|messages|recipients|concurrent|mails|sessions)",
    r"throttl",
    r"4\.7\.28",
    r"unusual rate",
    r"exceeded .{0,30}(?:rate|sending limit)",
    r"try again later.{0,40}limit",
    r"temporarily (?:deferred|rate)",
    r"sending limit",
    r"receiving mail at a rate",
)
_RELAY = _words(
    r"relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited|refused)",
    r"unable to relay",
    r"not permitted to relay",
    r"(?:we|i) do not relay",
    r"no relay",
    r"rcpthosts",
    r"cannot relay",
    r"relay not permitted",
    r"not a gateway",
    r"not allowed to relay",
    r"as a relay",
)
_CONTENT = _words(
    r"spam",
    r"junk",
    r"content (?:filter|rejected|policy)",
    r"message content",
    r"virus",
    r"malware",
    r"phish",
    r"uribl",
    r"surbl",
    r"\burl\b.{0,40}(?:blocked|listed)",
    r"bulk e?-?mail",
    r"unsolicited",
    r"suspicious",
    r"blocked (?:for|because of|due to) .{0,30}(?:content|link|attachment)",
    r"banned (?:word|attachment|file)",
    r"not accepted due to .{0,20}content",
    r"filter(?:ed)? (?:as|by)",
    r"not accepting mail with",
    r"(?:message|mail) (?:was )?(?:identified|classified|rejected) as",
)
_TOO_LARGE = _words(
    r"too (?:large|big)",
    r"size (?:limit|exceeds|exceeded)",
    r"exceeds? (?:the )?(?:maximum |allowed |message )*size",
    r"message size",
    r"length limit",
    r"message length",
    r"5\.3\.4",
    r"5\.2\.3",
)
_FULL = _words(
    r"quota",
    r"mail ?box (?:is )?full",
    r"full mail ?box",
    r"mail ?box (?:size|has exceeded|exceeds)",
    r"exceeded (?:storage|the storage)",
    r"insufficient (?:disk |system )?(?:space|storage)",
    r"out of (?:disk )?space",
    r"disk full",
    r"storage (?:limit|space|allocation)",
    r"over ?quota",
    r"5\.2\.2",
    r"4\.2\.2",
    r"(?:mailbox|account) (?:is )?over",
    r"not enough (?:disk )?space",
    r"mail ?folder is full",
    r"is full\b",
    r"too many (?:mails|messages) (?:on|in) (?:the )?(?:server|mail ?box)",
    r"zu ?viele mails",
)
_DISABLED = _words(
    r"disabled",
    r"deactivated",
    r"inactive",
    r"not active",
    r"not an active",
    r"no longer (?:active|available|in use|valid|exists?|used|here)",
    r"account (?:has been |is )?(?:closed|suspended|expired|locked|terminated|blocked)",
    r"mail ?box (?:is )?(?:closed|locked)",
    r"(?:user|recipient|addressee|mailbox) (?:has )?moved",
    r"5\.1\.6",
    r"5\.2\.1",
)
_HOST = _words(
    r"host (?:or domain name )?not found",
    r"unknown host",
    r"host unknown",
    r"no such (?:domain|host)",
    r"domain (?:name )?(?:not found|does not exist|doesn't exist|unknown|is not valid)",
    r"unrout(?:e)?able (?:mail )?domain",
    r"no mx (?:record|host)",
    r"mx (?:record )?(?:not found|lookup failed)",
    r"nxdomain",
    r"name or service not known",
    r"domain .{0,40} (?:does not exist|not found)",
    r"5\.1\.2",
    r"5\.4\.4",
    r"host (?:\S+ )?unknown",
    r"unknown domain",
    r"bad destination system address",
)
_USER = _words(
    r"user unknown",
    r"unknown user",
    r"no such (?:user|mail ?box|recipient|address|account|person|local user)",
    r"(?:user|mail ?box|recipient|address|account|addressee)\S* (?:\S+ ){0,3}"
    r"(?:does not exist|doesn't exist|not found|is unknown|unknown|invalid|not listed|is not (?:a )?valid|"
    r"rejected|unavailable|not available)",
    r"does not exist",
    r"doesn't exist",
    r"doesn't have an? .{0,40}account",
    r"not our customer",
    r"invalid (?:recipient|address|mail ?box|user)",
    r"unknown (?:recipient|address|mail ?box|local[- ]?part|alias|account)",
    r"bad destination mail ?box",
    r"mail ?box unavailable",
    r"mail ?box not found",
    r"no mail ?box",
    r"unrout(?:e)?able address",
    r"no valid recipients?",
    r"not a valid (?:mail ?box|user|recipient|address)",
    r"undeliverable address",
    r"illegal alias",
    r"5\.1\.1\b",
    r"5\.1\.10",
    r"5\.1\.3",
    r"5\.1\.0",
    r"unknown or illegal",
    r"not known here",
    r"no account",
    r"isn't a valid",
    r"recipient not found",
    r"nonexistent",
    r"not a known user",
    r"bad_recipient",
    r"n'existe pas",
    r"existiert nicht",
    r"no existe",
    r"nie istnieje",
    r"unbekannt",
    r"non-existent",
    r"unknown in (?:virtual|local|relay)",
    r"not recognized",
    r"not known",
    r"invalid .{0,20}userid",
    r"not listed in",
    r"final (?:e-?mail )?delivery point",
    r"no matches to nameserver",
    r"did not (?:exactly )?match",
    r"unknown to",
    r"no such person",
    r"bad address",
    r"address unknown",
    r"user not found",
    r"not found in (?:the )?(?:directory|address book)",
    r"no longer exists?",
)
_EXPIRED = _words(
    r"expired",
    r"retry (?:time(?:out)?|period) (?:not reached|exceeded)",
    r"too long in (?:the )?queue",
    r"giving up",
    r"could not be delivered (?:for|within|in) \d+",
    r"4\.4\.7",
    r"5\.4\.7",
    r"maximum (?:time|retry)",
    r"has been delayed",
    r"delivery time ?out",
    r"timed? ?out",
    r"not been collected",
    r"not reachable within",
    r"queue period",
    r"within \d+ (?:days|hours)",
    r"failing for a long time",
    r"failed \d+ attempts",
)
# Greylisting and "come back later": transient by nature, whatever code it came with.
_GREYLISTED = _words(
    r"gr[ae]y ?list", r"come back later", r"try (?:again )?later", r"temporarily (?:rejected|unavailable)"
)
# A name server that answered badly or not at all proves nothing about the domain.
_DNS_TROUBLE = _words(
    r"malformed", r"unexpected .{0,30}reply", r"try again", r"servfail", r"lookup timed out"
)
# A text bounce saying it will try again: a warning, not a failure.
_RETRYING = _words(
    r"will (?:be )?retr(?:y|ied)",
    r"still (?:be )?trying",
    r"not yet been delivered",
    r"delayed",
    r"warning:",
    r"will keep trying",
    r"temporar",
    r"will try again",
    r"deferred",
    r"try again later",
)
_NAMES = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_REPLY = re.compile(r"(?:^|[\s;:(\[#])([245])\d\d(?=[\s\-])")
# The status code's subject and detail (RFC 3463) when the words say nothing clearer.
_BY_STATUS = {
    "1.1": Reason.USER_UNKNOWN,
    "1.0": Reason.USER_UNKNOWN,
    "1.3": Reason.USER_UNKNOWN,
    "1.10": Reason.USER_UNKNOWN,
    "1.2": Reason.HOST_UNKNOWN,
    "4.4": Reason.HOST_UNKNOWN,
    "1.6": Reason.MAILBOX_DISABLED,
    "2.1": Reason.MAILBOX_DISABLED,
    "2.2": Reason.MAILBOX_FULL,
    "3.4": Reason.TOO_LARGE,
    "2.3": Reason.TOO_LARGE,
    "4.7": Reason.EXPIRED,
    "7.26": Reason.SENDER_POLICY,
    "7.515": Reason.SENDER_POLICY,
    "7.25": Reason.SENDER_POLICY,
    "7.27": Reason.SENDER_POLICY,
    "7.23": Reason.SENDER_POLICY,
    "7.28": Reason.RATE_LIMITED,
    "7.7": Reason.SENDER_POLICY,
    "1.8": Reason.SENDER_POLICY,
    "7.0": Reason.SENDER_POLICY,
    "7.1": Reason.SENDER_POLICY,
    "4.6": Reason.TRANSIENT,
    "4.1": Reason.TRANSIENT,
    "4.2": Reason.TRANSIENT,
    "3.2": Reason.TRANSIENT,
    "3.1": Reason.MAILBOX_FULL,
    "7.9": Reason.SENDER_POLICY,
    "4.3": Reason.TRANSIENT,
    "1.7": Reason.SENDER_POLICY,
}
# The order the words are read in: the sender's and the content's fault first.
# A full mailbox or an oversized message is read before the status too: MTAs send them with 5.1.1.
_BEFORE_STATUS = (
    (_SENDER, Reason.SENDER_POLICY),
    (_FULL, Reason.MAILBOX_FULL),
    (_RATE, Reason.RATE_LIMITED),
    (_GREYLISTED, Reason.TRANSIENT),
    (_RELAY, Reason.RELAYING_DENIED),
    (_CONTENT, Reason.CONTENT_BLOCKED),
    (_TOO_LARGE, Reason.TOO_LARGE),
)
_AFTER_STATUS = (
    (_DNS_TROUBLE, Reason.UNKNOWN),
    (_HOST, Reason.HOST_UNKNOWN),
    (_DISABLED, Reason.MAILBOX_DISABLED),
    (_USER, Reason.USER_UNKNOWN),
    (_EXPIRED, Reason.EXPIRED),
)


def status_in(text: str | None) -> str | None:
    found = _STATUS.search(text or "")
    return ".".join(found.groups()) if found else None


def judge(
    status: str | None, diagnostic: str | None, *, action: str | None = None, text_bounce: bool = False
) -> Verdict:
    """The reason and whether it is a hard (address-level, permanent) failure.

    ``status``: the DSN's ``Status`` (may be None); ``diagnostic``: its ``Diagnostic-Code`` or, for a
    text bounce, the notice's words; ``action``: the DSN's ``Action``.
    """
    # Addresses and links are names, not words: "junkmail@…" says nothing about spam.
    text = _NAMES.sub(" ", " ".join((diagnostic or "").split()))
    status = status or status_in(text)
    action = (action or "").lower()
    if action in ("delivered", "relayed", "expanded"):
        return Verdict(Reason.DELIVERED, False, status)
    reply = _REPLY.search(text)
    klass = status[0] if status else (reply.group(1) if reply else None)
    if status and status[0] == "2" and reply and reply.group(1) in "45":
        klass = reply.group(1)  # "2.0.0" beside a real refusal: the refusal counts
    transient = (
        klass == "4"
        or action == "delayed"
        or (klass is None and text_bounce and bool(_RETRYING.search(text)))
    )
    permanent = not transient and (klass == "5" or (klass is None and (action == "failed" or text_bounce)))
    reason = _reason(status, text)
    if reason is None:
        reason = Reason.TRANSIENT if transient else Reason.UNKNOWN
    if transient and reason in ADDRESS_LEVEL | {Reason.UNKNOWN}:
        reason = Reason.TRANSIENT
    return Verdict(reason, permanent and reason in ADDRESS_LEVEL, status)


def reason_in(text: str) -> Reason | None:
    """The reason the words alone give, None if they give none."""
    return _reason(None, _NAMES.sub(" ", text))


def _reason(status: str | None, text: str) -> Reason | None:
    for pattern, reason in _BEFORE_STATUS:
        if pattern.search(text):
            return reason
    if status is not None:
        by_status = _BY_STATUS.get(status.split(".", 1)[1])
        # 5.7.1 and 5.7.0 say only "refused by policy", 5.4.4 "could not route": the words say more.
        if by_status is not None and status[2:] not in ("7.1", "7.0", "1.0", "4.4"):
            return by_status
        for pattern, reason in _AFTER_STATUS:
            if pattern.search(text):
                return reason
        return by_status
    for pattern, reason in _AFTER_STATUS:
        if pattern.search(text):
            return reason
    return None
