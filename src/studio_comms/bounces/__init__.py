"""What mail systems send back: delivery status notifications (RFC 3464) and abuse reports
(RFC 5965 ARF), turned into suppressions and consent ledger entries when they name a message we
sent and its recipient; the rest kept, unacted, in ``unattributed_feedback`` (``models``)."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["schemas", "service"]
ASSEMBLY: list[str] = ["models"]
