"""Studios, the tenants: name, language, zone, consent enforcement mode, public information."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["information_schemas", "schemas", "service"]
ASSEMBLY: list[str] = ["endpoints", "models"]
