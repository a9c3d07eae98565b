"""The member-facing pages: the preference center and one-click unsubscribe, opened with the
signed links of ``links``."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__: list[str] = []
ASSEMBLY: list[str] = ["pages", "render", "unsubscribe"]
