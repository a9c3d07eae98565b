"""What a result was measured on: the machine, the libraries, the code."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import platform
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
LIBRARIES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "sqlalchemy",
    "psycopg",
    "orjson",
    "httpx",
)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def source_state() -> tuple[str, str]:
    """(short HEAD commit, digest of src/ and pyproject.toml as on disk): the code being measured."""
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "src").rglob("*.py")]):
        with contextlib.suppress(OSError):
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return _run("git", "-C", str(REPO), "rev-parse", "--short", "HEAD") or "unknown", digest.hexdigest()[:12]


def machine_info(postgres_version: str) -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    wrk_lines = (wrk.stdout + wrk.stderr).splitlines()
    dirty = _run("git", "-C", str(REPO), "status", "--porcelain", "--", "src", "pyproject.toml")
    return {
        "nproc": _run("nproc"),
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "libs": ", ".join(f"{lib} {version_of(lib)}" for lib in LIBRARIES),
        "wrk": wrk_lines[0].strip() if wrk_lines else "?",
        "postgres": postgres_version,
        "commit": source_state()[0]
        + (" (with uncommitted changes in src/ or pyproject.toml)" if dirty else ""),
    }
