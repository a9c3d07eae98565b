"""The operator API (``/admin/v1``), composing the domain services; ``onboarding`` creates a studio
with its default offer."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__: list[str] = []
ASSEMBLY: list[str] = [
    "customers",
    "keys",
    "mail_feedback",
    "mail_provider",
    "messages",
    "onboarding",
    "sms",
    "sms_replies",
    "studios",
]
