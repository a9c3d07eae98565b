"""Collapsed stacks from py-spy (``--format raw``), summarised: where the GIL-holding time goes.

Two views of the same samples:

- **by component**: the code that ran, seen from the innermost frame outwards. Helpers that only
  serve their caller (pydantic, contextlib, dataclass and enum machinery, json, uuid, …) are
  *transparent*: their time goes to the first caller that is not, so pydantic validating a FastAPI
  parameter counts as FastAPI, pydantic dumping our response counts as serialisation;
- **by phase**: the innermost step of our own request or delivery path on the stack (auth, rate
  limit, loading the state, the ledger entry, the outbox row, commit, …), everything under it
  included; frames outside any phase fall back to their component.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from benchlib.phases import COMPONENTS, PHASES, TRANSPARENT, Rule

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<path>[^()]*?)(?::(?P<line>\d+))?\)$")
_PREFIXES = (
    (re.compile(r"^.*/site-packages/"), ""),
    (re.compile(r"^.*/lib/python3\.\d+/"), "stdlib/"),
    (re.compile(r"^.*/src/studio_comms/"), "studio_comms/"),
)


@dataclass(frozen=True)
class Frame:
    func: str
    path: str  # shortened: "sqlalchemy/orm/session.py", "stdlib/threading.py", "studio_comms/db/session.py"
    line: int

    @property
    def name(self) -> str:
        return f"{self.func} ({self.path})"


@dataclass(frozen=True)
class Window:
    """The recording window: its length, the sampling rate and the process's CPU meanwhile (in
    cores: 1.0 = one core all the time), from /proc."""

    seconds: float
    rate: int
    user: float
    system: float
    # Share of the process's CPU on its main thread (the event loop; the worker's claim loop).
    main_thread: float = 1.0


Stack = tuple[tuple[Frame, ...], int]


def parse_frame(text: str) -> Frame:
    if "(<sqlalchemy generated" in text:  # "commit (<sqlalchemy generated _go() wrapper for …>)"
        return Frame(text.split(" (", 1)[0], "sqlalchemy/<generated>", 0)
    match = _FRAME.match(text)
    if not match:  # "thread (123): MainThread" roots and the like
        return Frame(text, "", 0)
    path = match["path"]
    for pattern, replacement in _PREFIXES:
        path = pattern.sub(replacement, path)
    return Frame(match["func"], path, int(match["line"] or 0))


def load_collapsed(path: Path) -> list[Stack]:
    stacks = []
    for line in path.read_text().splitlines():
        text, _, count = line.rpartition(" ")
        if text and count.isdigit():
            # The root frame is the thread ("thread (tid): name"), kept as a frame whose function is
            # the thread's name; the stack runs root → leaf.
            root, *frames = text.split(";")
            thread = Frame(root.rpartition(": ")[2], "", 0)
            stacks.append(((thread, *(parse_frame(f) for f in frames)), int(count)))
    return stacks


def _first(rules: Iterable[Rule], frames: Iterable[Frame]) -> tuple[str, Frame] | None:
    for frame in frames:
        for rule in rules:
            if rule.matches(frame.path, frame.func, frame.line):
                return rule.label, frame
    return None


def component_of(frames: tuple[Frame, ...]) -> tuple[str, Frame]:
    """The component, and the frame that decided it (its function is named in the tables)."""
    for frame in reversed(frames[1:]):  # frames[0] is the thread
        if any(rule.matches(frame.path, frame.func, frame.line) for rule in TRANSPARENT):
            continue
        return _first(COMPONENTS, [frame]) or (f"other: {frame.path or frame.func}", frame)
    return "other (helper frames only)", frames[-1]


def phase_of(frames: tuple[Frame, ...]) -> tuple[str, Frame]:
    return _first(PHASES, reversed(frames[1:])) or component_of(frames)


OUTSIDE = "outside the GIL (kernel: sockets, futex wake-ups, scheduling; C code without the GIL)"


def _table(counter: Counter[str], detail: dict[str, Counter[str]], scale: float, outside: float) -> str:
    """Rows in % of the process's CPU: GIL samples scaled by the GIL's share of it, plus the rest."""
    total = sum(counter.values())
    lines = ["| | % of CPU | biggest functions inside (% of CPU) |", "|---|---:|---|"]
    rows = [(label, count / total * scale) for label, count in counter.items()] + [(OUTSIDE, outside)]
    for label, share in sorted(rows, key=lambda row: -row[1]):
        names = detail.get(label, Counter()).most_common(4)
        inside = ", ".join(f"`{name}` {100 * n / total * scale:.1f}" for name, n in names)
        lines.append(f"| {label} | {100 * share:.1f} | {inside} |")
    return "\n".join(lines)


def summarize_markdown(stacks: list[Stack], window: Window, title: str) -> str:
    total = sum(count for _, count in stacks)
    if not total:
        return f"# {title}\n\nNo samples.\n"
    components: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    in_component: dict[str, Counter[str]] = {}
    in_phase: dict[str, Counter[str]] = {}
    inclusive: Counter[str] = Counter()
    main_samples = sum(count for frames, count in stacks if frames and frames[0].func == "MainThread")
    for frames, count in stacks:
        if len(frames) < 2:
            continue
        (component, decided), (phase, _) = component_of(frames), phase_of(frames)
        components[component] += count
        phases[phase] += count
        in_component.setdefault(component, Counter())[decided.name] += count
        in_phase.setdefault(phase, Counter())[decided.name] += count
        for name in {frame.name for frame in frames[1:]}:
            inclusive[name] += count
    gil = total / (window.seconds * window.rate)
    cpu = window.user + window.system
    # Descheduled while holding the GIL (a busy machine), GIL time can exceed CPU time: then all is GIL.
    outside = max(0.0, (cpu - gil) / cpu) if cpu else 0.0
    scale = 1.0 - outside
    top_inclusive = "\n".join(
        f"| `{name}` | {100 * n / total * scale:.1f} |"
        for name, n in inclusive.most_common(70)
        if n < total * 0.999
    )
    return f"""# {title}

Process CPU during the recording: {100 * cpu:.0f} % of one core (user {100 * window.user:.0f} %, system \
{100 * window.system:.0f} %). A thread of the process held the GIL in {100 * gil:.0f} % of the \
{window.seconds * window.rate:.0f} sampling ticks ({total} samples), so about {100 * outside:.0f} % of the \
CPU was spent without the GIL: kernel work (sockets, futex wake-ups of thread hand-offs, scheduling) and \
C code that releases it (SQLite executing a statement; psycopg waits, which cost no CPU). The GIL \
samples share out the rest. By /proc, the main thread (event loop; in the worker, its claim loop) \
used {100 * window.main_thread:.0f} % of the process's CPU, the other threads (the request path's \
database threads; the worker's item threads) {100 * (1 - window.main_thread):.0f} %; of the GIL \
samples {100 * main_samples / total:.0f} % are the main thread's.

## By component (innermost frame that is not a transparent helper)

{_table(components, in_component, scale, outside)}

## By phase (innermost step of our path on the stack; else the component)

{_table(phases, in_phase, scale, outside)}

## Functions, inclusive (% of CPU with the function on the stack)

| function | % |
|---|---:|
{top_inclusive}
"""
