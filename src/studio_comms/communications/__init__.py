"""Threads and their communications, with the consent receipt of each outgoing one, and the
timeline with the delivery statuses of messages studio-comms sent."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["schemas", "sent", "service"]
ASSEMBLY: list[str] = ["endpoints", "models"]
