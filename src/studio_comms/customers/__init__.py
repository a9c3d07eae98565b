"""A studio's customers: existence checks, details, link revocation, the official customer reads."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["errors", "schemas", "service"]
ASSEMBLY: list[str] = ["endpoints", "models"]
