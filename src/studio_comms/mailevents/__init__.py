"""Event webhooks of the mail relays studios send through (Postmark, Mailgun, SendGrid): a studio's
provider credential (operator API), each request verified as the provider documents it, each event
matched to the e-mail we sent and acted on by reason (hard bounce, complaint, delivered), once."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["schemas", "service"]
ASSEMBLY: list[str] = ["endpoints", "models"]
