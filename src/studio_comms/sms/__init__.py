"""Text messages through a provider (Twilio's Messages API 2010-04-01) and what comes back:
delivery status callbacks and members' replies (``words``: revocation words, START, HELP).

Offered: ``service`` (the studio's account), ``schemas``, and ``replies``: the replies an
operator decides (``admin.sms_replies``) and the one revocation path by SMS."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["replies", "schemas", "service"]
ASSEMBLY: list[str] = ["endpoints", "models", "transport"]
