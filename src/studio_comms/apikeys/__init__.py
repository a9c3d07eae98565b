"""A studio's API keys (shown once, stored hashed) and authentication."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["schemas", "service"]
ASSEMBLY: list[str] = ["models"]
