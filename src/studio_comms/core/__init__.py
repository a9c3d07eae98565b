"""What every package shares: errors and their texts, authentication's principal, clock, request
ids, audit, rate limiter, OpenAPI helpers, the vocabulary of categories and channels, where a
route's units of work run (``units``), sealing secrets at rest (``secrets``) and describing errors
without the values they refused (``errortext``)."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = [
    "audit",
    "auth",
    "clock",
    "datetimes",
    "errors",
    "errortext",
    "mailstatus",
    "messages",
    "methods",
    "metrics",
    "middleware",
    "openapi",
    "phone",
    "requestid",
    "runtime",
    "schemas",
    "secrets",
    "slicing",
    "units",
    "vocabulary",
]
ASSEMBLY: list[str] = ["handlers", "openapi_document", "ratelimit"]
