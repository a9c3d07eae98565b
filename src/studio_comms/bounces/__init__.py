"""What mail systems send back: delivery status notifications (RFC 3464) and abuse reports
(RFC 5965 ARF), turned into suppressions and consent ledger entries."""
