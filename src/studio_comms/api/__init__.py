"""The request path of the partner API: the unit of work of a request (``context``), the fast lane
(``hot``), health and readiness routes (``ops``)."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["context", "hot"]
ASSEMBLY: list[str] = ["metrics", "ops"]
