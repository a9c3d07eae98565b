"""bench/benchlib/stacks.py: py-spy samples sorted by component and by phase of our path."""

from __future__ import annotations

import re
from pathlib import Path

from benchlib.stacks import Window, load_collapsed, summarize_markdown

SITE = "/x/.venv/lib/python3.11/site-packages"
SRC = "/x/src/studio_comms"
STD = "/usr/lib/python3.11"
ROOT = (
    "thread (1): AnyIO worker thread;_bootstrap ("
    + STD
    + "/threading.py:1);run ("
    + SITE
    + "/anyio/_backends/_asyncio.py:2)"
)
LEDGER = (
    f"record ({SRC}/preferences/repository.py:90);"
    f"PreferencesRepository.record ({SRC}/preferences/repository.py:91)"
)
SAMPLES = {
    # FastAPI validating a parameter through pydantic: FastAPI's time, not pydantic's.
    f"thread (0): MainThread;solve_dependencies ({SITE}/fastapi/dependencies/utils.py:5);"
    f"TypeAdapter.validate_python ({SITE}/pydantic/type_adapter.py:9)": 30,
    # Our to_json calling pydantic: serialisation.
    f"{ROOT};to_json ({SRC}/api/context.py:50);BaseModel.model_dump_json ({SITE}/pydantic/main.py:3)": 20,
    # The ledger entry's ORM flush: the ORM, in the ledger phase.
    f"{ROOT};{LEDGER};Session.flush ({SITE}/sqlalchemy/orm/session.py:4)": 40,
    # A generated SQLAlchemy wrapper (its "file" has parentheses) below the ledger entry.
    f"{ROOT};{LEDGER};commit (<sqlalchemy generated _go() wrapper for sqlalchemy.orm.session.X.commit>)": 10,
}


def _profile(tmp_path: Path) -> str:
    raw = tmp_path / "stacks.txt"
    raw.write_text("".join(f"{stack} {count}\n" for stack, count in SAMPLES.items()))
    # 100 GIL samples in 1 s at 200 Hz = 50 % of the time; the process used 80 % of a core.
    return summarize_markdown(load_collapsed(raw), Window(seconds=1, rate=200, user=0.7, system=0.1), "t")


def _row(markdown: str, section: str, label: str) -> float:
    part = markdown.split(f"## {section}")[1].split("\n## ")[0]
    match = re.search(rf"^\| {re.escape(label)}[^|]* \| ([\d.]+) \|", part, re.M)
    assert match, f"no row {label!r} in {section}:\n{part}"
    return float(match.group(1))


def test_helpers_count_for_their_caller_and_rows_share_out_the_cpu(tmp_path: Path) -> None:
    markdown = _profile(tmp_path)
    # GIL samples are 50 of 80 % of the CPU: each sample is 0.625 % of the CPU, the rest is outside.
    assert _row(markdown, "By component", "FastAPI (routing") == 18.8
    assert _row(markdown, "By component", "ours: serialisation") == 12.5
    assert _row(markdown, "By component", "SQLAlchemy ORM") == 25.0
    assert _row(markdown, "By component", "SQLAlchemy Core") == 6.2
    assert _row(markdown, "By component", "outside the GIL") == 37.5
    assert "other: pydantic" not in markdown
    assert "of the GIL samples 30 % are the main thread's" in markdown  # the FastAPI sample's thread


def test_phases_take_the_innermost_step_of_our_path(tmp_path: Path) -> None:
    markdown = _profile(tmp_path)
    assert _row(markdown, "By phase", "ledger entry + choice") == 31.2
    assert _row(markdown, "By phase", "serialise the answer") == 12.5
    assert _row(markdown, "By phase", "FastAPI: dependencies") == 18.8
