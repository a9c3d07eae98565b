"""Webhook subscriptions and signed, retried deliveries of the outbox's events."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__: list[str] = []
ASSEMBLY: list[str] = ["deliveries", "endpoints", "handlers", "models", "sender", "service"]
