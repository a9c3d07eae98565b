"""Sampling a running Python process with py-spy while the bench loads it."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchlib.procs import BenchError, log


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not found:
        raise BenchError("py-spy is not installed (pip install -e '.[dev]')")
    return found


@contextlib.contextmanager
def recording(pid: int, output: Path, *, rate: int, fmt: str, core: str) -> Iterator[None]:
    """py-spy records the process while the block runs; ``fmt``: "flamegraph" (SVG) or "raw"
    (collapsed stacks: ``frame;frame;… count`` per line).

    Only the thread holding the GIL is sampled (``--gil``): py-spy's idle detection counts threads
    blocked in ``Condition.wait`` as busy here (measured: 87 % of a GET profile were the idle
    worker threads of the pool), so without it the samples would not share out the CPU. What runs
    without the GIL (the kernel, SQLite's own query execution) is accounted for from /proc by the
    caller. The process is read while it runs (``--nonblocking``): pausing it for each sample
    skews the samples towards the main thread here (a synthetic main thread handing 30 % of its
    CPU, by /proc, to worker threads: paused 2 % of the samples on the workers, unpaused 29 %);
    the price is that a thread that has just released the GIL is sometimes still taken for its
    holder (~3 % of the samples land in its ``Condition.wait``). Frames carry full file names (so
    a frame's library is known) and the thread as the root frame; py-spy runs on ``core``, not
    the server's.
    """
    cmd = [
        "taskset", "-c", core, py_spy(), "record", "--pid", str(pid), "--rate", str(rate),
        "--format", fmt, "--output", str(output), "--full-filenames", "--threads", "--gil", "--nonblocking",
    ]  # fmt: skip
    log(f"py-spy {fmt} of pid {pid} → {output}")
    spy = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.5)  # attached
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy stops sampling and writes the file
        report, _ = spy.communicate(timeout=120)
    if not output.exists():
        raise BenchError(f"py-spy failed ({spy.returncode}): {report[-2000:]}")
