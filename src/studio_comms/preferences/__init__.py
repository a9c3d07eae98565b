"""Communication preferences: the studio's offer, the member's choices, blocks, the consent ledger
and the one decision (``rules``)."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["blocks", "errors", "offer", "rules", "schemas", "service"]
ASSEMBLY: list[str] = ["endpoints", "models"]
