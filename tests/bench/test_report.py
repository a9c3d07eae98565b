"""bench/benchlib/report.py and wrk.py: ratios within rounds, verdicts, and wrk's own output."""

from __future__ import annotations

import pytest
from benchlib.report import TARGETS, median, ratios, verdict
from benchlib.window import Measurement
from benchlib.wrk import parse_wrk

WRK = """Running 8s test @ http://127.0.0.1:1234
  1 threads and 16 connections
  Latency Distribution
     50%    7.10ms
     75%    9.00ms
     90%   11.00ms
     99%   21.43ms
  6789 requests in 8.00s, 1.23MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    848.62
"""


def _m(cpu: float, p99: float = 10.0) -> Measurement:
    return Measurement(
        rps=1, p50_ms=1, p99_ms=p99, cpu_ms_per_req=cpu, db_cpu_ms_per_req=None, requests=1, foreign_pct=0
    )


def test_ratios_are_taken_within_each_round() -> None:
    get = next(t for t in TARGETS if t.ours == "ours GET" and t.metric == "cpu")
    rounds = [{"ours GET": _m(0.2), "peer GET": _m(0.4)}, {"ours GET": _m(0.9), "peer GET": _m(1.0)}]
    assert ratios(rounds, get) == [0.5, 0.9]
    assert median(ratios(rounds, get)) == pytest.approx(0.7)


def test_verdicts_and_the_stretch_goal() -> None:
    get = next(t for t in TARGETS if t.ours == "ours GET" and t.metric == "cpu")
    assert verdict(0.3, get) == "✅ (stretch ✅)"
    assert verdict(0.5, get) == "✅ (stretch ❌)"
    assert verdict(0.61, get) == "❌"


def test_wrk_output_is_read_with_its_units() -> None:
    result = parse_wrk(WRK)
    assert (result.requests, result.rps, result.p50_ms, result.p99_ms) == (6789, 848.62, 7.10, 21.43)
    assert result.non_2xx == 3
