"""The rules alone (pure): permanence from the codes, the reason from codes and words, hard only for
a permanent address-level failure. The diagnostics are the wordings the issue names (Gmail,
Microsoft, Postfix, greylisting); the real corpus is tests/bounces/test_corpus.py."""

from __future__ import annotations

import pytest

from studio_comms.core.mailstatus import Reason, judge


@pytest.mark.parametrize(
    ("status", "diagnostic", "action", "reason", "hard"),
    [
        ("5.1.1", "smtp; 550 5.1.1 The email account that you tried to reach does not exist.", "failed",
         Reason.USER_UNKNOWN, True),
        ("5.1.2", "smtp; 550 5.1.2 Host unknown (Name server: example.invalid: host not found)", "failed",
         Reason.HOST_UNKNOWN, True),
        ("5.2.1", "smtp; 550 5.2.1 The email account that you tried to reach is disabled.", "failed",
         Reason.MAILBOX_DISABLED, True),
        # The breakage: failed with a transient status is no hard bounce.
        ("4.2.2", "smtp; 452 4.2.2 The email account that you tried to reach is over quota.", "failed",
         Reason.MAILBOX_FULL, False),
        ("4.1.1", "smtp; 450 4.1.1 <a@example.org>: Recipient address rejected: unverified address", "failed",
         Reason.TRANSIENT, False),
        ("5.2.2", "smtp; 552 5.2.2 Mailbox full", "failed", Reason.MAILBOX_FULL, False),
        # The sender's own setup: never the member's fault.
        ("5.7.26", "smtp; 550 5.7.26 Unauthenticated email from studio.example is not accepted due to "
         "domain's DMARC policy.", "failed", Reason.SENDER_POLICY, False),
        ("5.7.515", "smtp; 550 5.7.515 Access denied, sending domain studio.example doesn't meet the "
         "required authentication level.", "failed", Reason.SENDER_POLICY, False),
        ("5.7.1", "smtp; 550 5.7.1 The IP you're using to send mail is not authorized to send email directly "
         "to our servers.", "failed", Reason.SENDER_POLICY, False),
        ("5.7.25", "smtp; 550 5.7.25 The IP address sending this message does not have a PTR record setup",
         "failed", Reason.SENDER_POLICY, False),
        ("5.7.1", "smtp; 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
         "zen.spamhaus.org", "failed", Reason.SENDER_POLICY, False),
        # A user-unknown code beside blocklist words: the words win (servers send any code with them).
        ("5.1.1", "smtp; 550 5.1.1 mail from 192.0.2.1 refused: listed at bl.spamcop.net", "failed",
         Reason.SENDER_POLICY, False),
        ("4.7.28", "smtp; 421 4.7.28 Our system has detected an unusual rate of unsolicited mail", "delayed",
         Reason.RATE_LIMITED, False),
        ("4.7.0", "smtp; 421 4.7.0 Too many concurrent SMTP connections from this IP address", "delayed",
         Reason.RATE_LIMITED, False),
        ("4.7.1", "smtp; 451 4.7.1 Greylisting in action, please come back later", "delayed",
         Reason.TRANSIENT, False),
        ("5.7.1", "smtp; 550 5.7.1 Message rejected as spam by Content Filtering.", "failed",
         Reason.CONTENT_BLOCKED, False),
        ("5.3.4", "smtp; 552 5.3.4 Message size exceeds fixed maximum message size", "failed",
         Reason.TOO_LARGE, False),
        ("5.7.1", "smtp; 554 5.7.1 <a@example.org>: Relay access denied", "failed",
         Reason.RELAYING_DENIED, False),
        ("4.4.7", "", "failed", Reason.EXPIRED, False),
        ("5.0.0", "", "failed", Reason.UNKNOWN, False),
        ("2.0.0", "smtp; 250 2.0.0 OK", "delivered", Reason.DELIVERED, False),
    ],
)  # fmt: skip
def test_the_reason_and_whether_it_is_hard(
    status: str, diagnostic: str, action: str, reason: Reason, hard: bool
) -> None:
    verdict = judge(status, diagnostic, action=action)
    assert (verdict.reason, verdict.hard) == (reason, hard)


def test_a_text_bounce_without_codes_is_permanent_unless_it_says_it_retries() -> None:
    assert judge(None, "550 unknown user <a@example.org>", text_bounce=True).hard is True
    assert judge(None, "user unknown", text_bounce=True).hard is True
    warning = judge(
        None, "has not yet been delivered; delivery attempts will continue. user unknown", text_bounce=True
    )
    assert (warning.reason, warning.hard) == (Reason.TRANSIENT, False)
    assert judge(None, "451 temporary failure: user unknown", text_bounce=True).hard is False


def test_addresses_and_links_in_the_words_are_not_read_as_words() -> None:
    verdict = judge("4.0.0", "smtp; 452 <junkmail@example.org> Mailbox size limit exceeded", action="delayed")
    assert verdict.reason is Reason.MAILBOX_FULL
