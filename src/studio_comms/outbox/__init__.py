"""The outbox: events appended in the caller's transaction (``service``), the queue and the worker
that performs them (``handling`` holds the types of a handler)."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["handling", "queue", "service", "worker"]
ASSEMBLY: list[str] = ["backoff", "models", "stats", "wakeup"]
