"""The data layer: engine, ``Sql`` statements with their row classes, ``Tx`` units of work,
``Database`` (the only place that commits), ``StudioScoped`` repositories, driver errors."""

# What other packages may import from this one; ASSEMBLY: what only the app's assembly (main, the
# CLI, background, schema) may import besides (tests/architecture/test_interfaces.py).
__all__ = ["base", "database", "errors", "rows", "scoped", "sql", "tx", "types"]
ASSEMBLY: list[str] = ["engine", "migrate"]
