"""Prometheus metrics (``GET /metrics``): the families, counted where things happen.

One process (the tests, ``make run``) counts in memory. ``serve`` and ``worker`` call
:func:`use_directory` first: every process then writes its counts to files in one directory
(prometheus_client's multiprocess mode, ``PROMETHEUS_MULTIPROC_DIR``), and a scrape of any of
them reads the sum of all: ``serve --workers N``'s processes, a replaced one's counts, a
``worker`` process on the same var directory. The outbox gauges are not counted here: they
describe the shared queue and are read from the database at scrape time (``outbox.stats``).

No label names a customer, key, studio or address: labels are routes (templates, never a raw
path), methods, statuses, channels, kinds, reasons and outcomes, all from small fixed sets.

The request path pays one ``perf_counter`` pair, one dict lookup of a cached histogram child and
its ``observe`` (the children are made once per method, route and status).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector

NAMESPACE = "studio_comms"
UNMATCHED = "unmatched"
# Under the var directory: where ``serve``'s processes and ``worker`` write their counts.
METRICS_DIRECTORY = "metrics"
# Request durations: a hot GET takes a millisecond or less, a slow page or bulk send seconds.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """The counted families of one process (made again by :func:`use_directory`)."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.registry = registry
        self.http = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by route template.",
            ["method", "route", "status"],
            namespace=NAMESPACE,
            buckets=_BUCKETS,
            registry=registry,
        )
        self.messages = Counter(
            "messages",
            "Messages studio-comms sends, by channel and the status they reached.",
            ["channel", "status"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.webhook_attempts = Counter(
            "webhook_attempts",
            "Webhook POSTs, by outcome (success, failure).",
            ["outcome"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.rate_limited = Counter(
            "rate_limited",
            "Requests refused with 429 by the rate limit.",
            namespace=NAMESPACE,
            registry=registry,
        )
        self.database_errors = Counter(
            "database_errors",
            "Database faults answered to a request, by kind (unavailable, conflict, value_refused).",
            ["kind"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self.suppressions = Counter(
            "suppressions",
            "Suppressions set (hard blocks on a member's channel), by reason.",
            ["reason"],
            namespace=NAMESPACE,
            registry=registry,
        )
        self._http_children: dict[tuple[str, str, int], Any] = {}

    def request_timer(self, method: str, route: str, status: int) -> Any:
        """The histogram child for one (method, route, status), made once."""
        key = (method, route, status)
        child = self._http_children.get(key)
        if child is None:
            label = method if method in _METHODS else "other"
            child = self.http.labels(label, route, str(status))
            self._http_children[key] = child
        return child


_directory: list[Path] = []
_current = Metrics(CollectorRegistry(auto_describe=True))


def current() -> Metrics:
    return _current


def use_directory(directory: Path) -> None:
    """Count in files under ``directory`` from now on, shared by every process that uses it.

    Called by ``serve`` (before its processes are forked) and ``worker``, before any request or
    item is counted. Files of processes that no longer run are removed (a fresh start begins at
    zero, as Prometheus expects of a restarted target); those of running ones are kept, so a
    ``worker`` and ``serve`` on one var directory may start in either order.
    """
    global _current
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        pid = stale.stem.rsplit("_", 1)[-1]
        if not (pid.isdigit() and _alive(int(pid))):
            stale.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    # prometheus_client picks the value class when it is imported; the families made from here on
    # (fork-safe: each process writes files named by its pid) use the shared files.
    values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]
    _directory[:] = [directory]
    _current = Metrics(None)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collector() -> Any:
    """What a scrape reads: this process's registry, or the sum of every process's files."""
    if _directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(_directory[0]))  # type: ignore[no-untyped-call]
        return registry
    return _current.registry


def count_message(channel: str, status: str, count: int = 1) -> None:
    _current.messages.labels(channel, status).inc(count)


def count_webhook_attempt(succeeded: bool) -> None:
    _current.webhook_attempts.labels("success" if succeeded else "failure").inc()


def count_rate_limited() -> None:
    _current.rate_limited.inc()


def count_database_error(kind: str) -> None:
    _current.database_errors.labels(kind).inc()


def count_suppression(reason: str) -> None:
    _current.suppressions.labels(reason).inc()
