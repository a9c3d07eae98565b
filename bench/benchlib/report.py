"""Medians over rounds, the ratios the targets of issue 12 use, and the markdown of a run."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from benchlib.window import Measurement

Rounds = list[dict[str, Measurement]]
DB_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
# row -> (endpoint, app) as the tables show them
LABELS = {
    "bare ASGI": ("no-work route", "bare ASGI under uvicorn (floor)"),
    "bare FastAPI": ("no-work route", "bare FastAPI (bench/hello.py)"),
    "ours no-work": ("no-work route", "ours (`/bench/ceiling`)"),
    "peer GET": ("GET preferences", "peer"),
    "ours GET": ("GET preferences", "ours"),
    "peer PUT": ("PUT preferences (flip)", "peer"),
    "ours PUT": ("PUT preferences (flip)", "ours"),
    "ours POST thread": ("POST threads (new thread)", "ours"),
    "ours PUT thread": ("PUT threads/{threadId} (append)", "ours"),
}


@dataclass(frozen=True)
class Target:
    label: str
    ours: str
    other: str
    goal: float
    stretch: float | None = None
    metric: str = "cpu"  # "cpu": CPU per request; "p99": p99 latency


TARGETS = (
    Target("no-work route: ours ÷ bare FastAPI", "ours no-work", "bare FastAPI", 1.1),
    Target("GET preferences: ours ÷ peer", "ours GET", "peer GET", 0.6, stretch=0.35),
    Target("PUT preferences (flip): ours ÷ peer", "ours PUT", "peer PUT", 0.8),
    Target("POST threads: ours ÷ peer PUT", "ours POST thread", "peer PUT", 1.0),
    Target("PUT threads: ours ÷ peer PUT", "ours PUT thread", "peer PUT", 1.0),
    Target("p99 GET: ours ÷ peer", "ours GET", "peer GET", 1.0, metric="p99"),
    Target("p99 PUT (flip): ours ÷ peer", "ours PUT", "peer PUT", 1.0, metric="p99"),
)


def median(values: Sequence[float | None]) -> float:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def fmt(value: float | None, digits: int = 1, suffix: str = "") -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def _value(m: Measurement, metric: str, with_db: bool) -> float:
    if metric == "p99":
        return m.p99_ms
    return m.cpu_ms_per_req + ((m.db_cpu_ms_per_req or 0.0) if with_db else 0.0)


def ratios(rounds: Rounds, target: Target, *, with_db: bool = False) -> list[float]:
    """ours ÷ other within each round (the two were measured back to back)."""
    return [
        _value(r[target.ours], target.metric, with_db) / _value(r[target.other], target.metric, with_db)
        for r in rounds
        if target.ours in r and target.other in r
    ]


def verdict(ratio: float, target: Target) -> str:
    if math.isnan(ratio):
        return ""
    if ratio > target.goal:
        return "❌"
    if target.stretch is not None:
        return "✅ (stretch ✅)" if ratio <= target.stretch else "✅ (stretch ❌)"
    return "✅"


def rows_table(db: str, rounds: Rounds) -> str:
    lines = [
        "| endpoint | app | req/s | p50 ms | p99 ms | server CPU ms/req | CPU ms/req per round "
        "| DB backend CPU ms/req | foreign CPU | effective writes per request |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for name, (endpoint, app) in LABELS.items():
        ms = [r[name] for r in rounds if name in r]
        if not ms:
            continue
        writes = ", ".join(
            f"{key} {median([m.writes_per_req[key] for m in ms]):.2f}" for key in ms[0].writes_per_req
        )
        db_cpu = median([m.db_cpu_ms_per_req for m in ms]) if db == "postgres" else None
        lines.append(
            f"| {endpoint} | {app} | {fmt(median([m.rps for m in ms]), 0)} "
            f"| {fmt(median([m.p50_ms for m in ms]), 2)} | {fmt(median([m.p99_ms for m in ms]), 2)} "
            f"| **{fmt(median([m.cpu_ms_per_req for m in ms]), 3)}** "
            f"| {' / '.join(f'{m.cpu_ms_per_req:.3f}' for m in ms)} | {fmt(db_cpu, 3)} "
            f"| {fmt(median([m.foreign_pct for m in ms]), 0, ' %')} | {writes} |"
        )
    return "\n".join(lines)


def targets_table(results: dict[str, Rounds]) -> str:
    judged = "sqlite" if "sqlite" in results else next(iter(results))
    lines = [
        f"| comparison | target | {DB_NAMES[judged]}: ratio (median) | per round | verdict "
        + "".join(f"| {DB_NAMES[db]}: ratio (server; server + DB backend) " for db in results if db != judged)
        + "|",
        "|---|---|---:|---|---" + "|---:" * (len(results) - 1) + "|",
    ]
    for target in TARGETS:
        per_round = ratios(results[judged], target)
        if not per_round:
            continue
        goal = f"≤ {target.goal:g}×" + (f" (stretch ≤ {target.stretch:g}×)" if target.stretch else "")
        cells = ""
        for db, rounds in results.items():
            if db == judged:
                continue
            server = median(ratios(rounds, target))
            both = median(ratios(rounds, target, with_db=True)) if target.metric == "cpu" else math.nan
            cells += f"| {fmt(server, 2, '×')}" + (f"; {fmt(both, 2, '×')} " if not math.isnan(both) else " ")
        ratio = median(per_round)
        lines.append(
            f"| {target.label} | {goal} | **{fmt(ratio, 2, '×')}** "
            f"| {' / '.join(f'{r:.2f}' for r in per_round)} | {verdict(ratio, target)} {cells}|"
        )
    return "\n".join(lines)


def targets_met(results: dict[str, Rounds]) -> bool:
    judged = results.get("sqlite") or next(iter(results.values()))
    return all(verdict(median(ratios(judged, t)), t).startswith("✅") for t in TARGETS if ratios(judged, t))


def write_warnings(results: dict[str, Rounds]) -> str:
    """Writes that were not real would make the write rows measure less than they claim."""
    lines = []
    for db, rounds in results.items():
        for name in LABELS:
            measured = [r[name] for r in rounds if name in r]
            for key in measured[0].writes_per_req if measured else ():
                value = median([m.writes_per_req[key] for m in measured])
                if value < 0.99:
                    lines.append(f"⚠️ {DB_NAMES[db]} {name}: only {value:.2f} {key} per request.")
    return "\n".join(lines)
