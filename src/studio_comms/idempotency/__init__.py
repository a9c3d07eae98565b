"""``Idempotency-Key``: claim, replay and complete a request's stored response."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["service"]
ASSEMBLY: list[str] = ["models"]
