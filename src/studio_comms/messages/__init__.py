"""Messages studio-comms sends itself (single and bulk), their outbox handler and transports."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["schemas", "service", "soft_bounces", "studio_settings", "transports"]
ASSEMBLY: list[str] = ["endpoints", "models", "wiring"]
