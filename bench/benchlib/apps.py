"""The apps the bench measures side by side, each one uvicorn process pinned to the server core:
ours (``studio-comms serve``), the peer (bench/peer.py), the bare FastAPI route (bench/hello.py)
and the bare ASGI app (bench/bare_asgi.py, uvicorn's own floor)."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

from benchlib.procs import BenchError, Server, free_port

PYTHON = sys.executable
BENCH_DIR = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "bench-" + secrets.token_hex(16)
# The settings uvicorn gets for every app but ours (whose `serve` passes the same to uvicorn.run).
UVICORN_FLAGS = ["--no-access-log", "--log-level", "warning"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STUDIO_COMMS_", "PEER_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def service_env(db_url: str, workdir: Path) -> dict[str, str]:
    """Ours as an operator runs it, plus the no-work route and a limit no load reaches (the limiter
    still counts every request)."""
    return {
        **clean_env(),
        "STUDIO_COMMS_DATABASE_URL": db_url,
        "STUDIO_COMMS_ADMIN_TOKEN": ADMIN_TOKEN,
        "STUDIO_COMMS_ENABLE_BENCH_ROUTES": "true",
        "STUDIO_COMMS_RATE_LIMIT": "100000000/minute",
        "STUDIO_COMMS_VAR_DIR": str(workdir / "var"),
    }


def studio_comms_script() -> str:
    script = shutil.which("studio-comms", path=str(Path(PYTHON).parent))
    if not script:
        raise BenchError("`studio-comms` is not installed next to this Python (make install)")
    return script


def ours(db_url: str, workdir: Path, core: str) -> Server:
    port = free_port()
    argv = [studio_comms_script(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-worker"]
    env = service_env(db_url, workdir)
    return Server("ours", argv, port=port, env=env, cwd=workdir, core=core, ready_path="/readyz")


def uvicorn_argv(app: str, port: int, *, factory: bool = False) -> list[str]:
    return [
        PYTHON, "-m", "uvicorn", *(["--factory"] if factory else []), "--app-dir", str(BENCH_DIR), app,
        "--host", "127.0.0.1", "--port", str(port), *UVICORN_FLAGS,
    ]  # fmt: skip


def peer(db_url: str, api_key: str, studio_id: int, workdir: Path, core: str) -> Server:
    port = free_port()
    env = {
        **clean_env(),
        "PEER_DATABASE_URL": db_url,
        "PEER_API_KEY": api_key,
        "PEER_STUDIO_ID": str(studio_id),
    }
    argv = uvicorn_argv("peer:from_env", port, factory=True)
    return Server("peer", argv, port=port, env=env, cwd=workdir, core=core, ready_path="/readyz")


def hello(workdir: Path, core: str) -> Server:
    port = free_port()
    argv = uvicorn_argv("hello:app", port)
    return Server(
        "fastapi", argv, port=port, env=clean_env(), cwd=workdir, core=core, ready_path="/bench/ceiling"
    )


def bare_asgi(workdir: Path, core: str) -> Server:
    port = free_port()
    argv = uvicorn_argv("bare_asgi:app", port)
    return Server("bare-asgi", argv, port=port, env=clean_env(), cwd=workdir, core=core, ready_path="/")
