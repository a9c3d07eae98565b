"""Signed member links: the tokens and their secret, issuing preference-center and one-click
unsubscribe links (the partner API, and ``messages`` for the e-mails it sends), and checking a
link against the database (``web``'s pages)."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["errors", "schemas", "secret", "service", "tokens"]
ASSEMBLY: list[str] = ["endpoints"]
