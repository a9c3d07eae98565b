#!/usr/bin/env python3
"""Instructions per request and per webhook event, counted by callgrind (``python bench/callgrind.py``).

Deterministic whatever the neighbours do, so a change on the hot paths can be compared before and
after on a busy machine. The script runs itself under ``valgrind --tool=callgrind
--instr-atstart=no``; inside, the app is called in-process on one event loop (ASGI, no server and
no socket: they cost the same for every version), SQLite in a fresh file. Each measured phase is
bracketed by callgrind's own client requests (a tiny C helper built with gcc from valgrind's
``callgrind.h``): instrumentation on, N requests, off, dump. All threads are counted.

- ``GET``: GET communication-preferences, customers in turn;
- ``PUT``: PUT communication-preferences flipping NEWSLETTER/EMAIL (a real change each time);
- ``POST thread``: a new thread (INCOMING, as ``make bench`` posts it);
- ``webhook event``: the worker's ``drain()`` in this process (claim, fan-out to one subscription,
  signed POST to bench/receiver.py on loopback, record), per event.

Prints one Markdown table row per phase: thousands of instructions per request or event.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HELPER_SOURCE = r"""
#include <valgrind/callgrind.h>
void cg_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; }
void cg_stop(const char *label) { CALLGRIND_STOP_INSTRUMENTATION; CALLGRIND_DUMP_STATS_AT(label); }
"""
ADMIN = "callgrind-admin-token-0123456789"
CUSTOMERS = 100


def build_helper(directory: Path) -> ctypes.CDLL:
    source, library = directory / "cg.c", directory / "libcg.so"
    source.write_text(HELPER_SOURCE)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    return ctypes.CDLL(str(library))


class Asgi:
    """Requests straight into the ASGI app, answered in full before the next one."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        if body:
            raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"bench"), *raw],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, chunks = 0, []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


async def requests(cg: ctypes.CDLL, workdir: Path, count: int, warmup: int) -> None:
    import orjson

    from studio_comms.core.auth import Scope
    from studio_comms.db.migrate import upgrade
    from studio_comms.main import create_app
    from studio_comms.settings import Settings

    url = f"sqlite:///{workdir / 'requests.db'}"
    upgrade(url)
    try:  # as `serve` counts metrics: in files shared by its processes (absent before metrics)
        from studio_comms.core import metrics

        metrics.use_directory(workdir / "metrics")
    except ImportError:
        pass
    settings = Settings(
        database_url=url, admin_token=ADMIN, rate_limit="100000000/minute",
        var_dir=workdir / "var",  # type: ignore[arg-type]
    )  # fmt: skip
    app = create_app(settings)
    call = Asgi(app)
    async with app.router.lifespan_context(app):
        admin = {"Authorization": f"Bearer {ADMIN}"}
        _, body = await call("POST", "/admin/v1/studios", b'{"name": "S"}', admin)
        studio = orjson.loads(body)["studioId"]
        key_body = orjson.dumps({"name": "k", "scopes": list(Scope)})
        _, body = await call("POST", f"/admin/v1/studios/{studio}/api-keys", key_body, admin)
        key = {"X-API-KEY": orjson.loads(body)["apiKey"]}
        for customer in range(1, CUSTOMERS + 1):
            path = f"/admin/v1/studios/{studio}/customers/{customer}"
            await call("PUT", path, b'{"firstName": "A", "lastName": "B"}', admin)
        prefs = "/v1/communications/{}/communication-preferences"
        threads = "/v1/communications/{}/threads"
        put = '[{"messageCategory":"NEWSLETTER","channels":[{"communicationChannel":"EMAIL","active":%s}]}]'
        thread = orjson.dumps(
            {
                "communicationThreadStatus": "CREATED", "subject": "Bench", "content": "Hello from the bench",
                "communicationDirection": "INCOMING", "communicationChannel": "EMAIL",
            }
        )  # fmt: skip

        def flip(i: int) -> bytes:
            """Each customer's flag flips every round over the customers: every PUT is a change."""
            return (put % ("true" if (i // CUSTOMERS) % 2 == 0 else "false")).encode()

        phases = {
            "GET": lambda i: call("GET", prefs.format(i % CUSTOMERS + 1), headers=key),
            "PUT": lambda i: call("PUT", prefs.format(i % CUSTOMERS + 1), flip(i), key),
            "POST thread": lambda i: call("POST", threads.format(i % CUSTOMERS + 1), thread, key),
        }
        offset = 0
        for label, request in phases.items():
            for i in range(offset, offset + warmup):
                status, body = await request(i)
                assert status == 200, (label, status, body)
            offset += warmup
            cg.cg_start()
            for i in range(offset, offset + count):
                await request(i)
            cg.cg_stop(f"{label} x{count}".encode())
            offset += count
            status, body = await request(offset)
            assert status == 200, (label, status, body)
            offset += 1


def webhooks(cg: ctypes.CDLL, workdir: Path, events: int) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from benchlib.delivery import enqueue_events, receiver, subscribe, wait_drained

    from studio_comms.background import build_worker, worker_engine_options
    from studio_comms.db.database import Database
    from studio_comms.db.engine import make_engine
    from studio_comms.db.migrate import upgrade
    from studio_comms.settings import Settings

    url = f"sqlite:///{workdir / 'webhooks.db'}"
    upgrade(url)
    settings = Settings(database_url=url, webhook_allow_private_networks=True)
    engine = make_engine(url, **worker_engine_options(settings))
    database = Database(engine)
    with receiver("0-1", workdir) as rx:
        studio = subscribe(database, rx.base_url, 1)
        worker = build_worker(settings, database, listen=False)
        enqueue_events(database, studio, 50)  # warm: connections, the sender's keep-alive
        while worker.drain():
            pass
        enqueue_events(database, studio, events)
        cg.cg_start()
        while worker.drain():
            pass
        cg.cg_stop(f"webhook event x{events}".encode())
        wait_drained(database, timeout=5)
        worker.close()
    engine.dispose()


def inner(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    cg = build_helper(workdir)
    if args.requests:
        asyncio.run(requests(cg, workdir, args.requests, args.warmup))
    if args.events:
        webhooks(cg, workdir, args.events)
    return 0


def totals(out: Path) -> dict[str, int]:
    """Instructions of each dump, by its label."""
    found = {}
    for dump in sorted(out.parent.glob(out.name + ".*")):
        text = dump.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
        # The dump's "summary" line stays 0 when instrumentation was off at the start; "totals" counts.
        summary = re.search(r"^totals: (\d+)", text, re.MULTILINE)
        if label and summary:
            found[label.group(1)] = int(summary.group(1))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100, help="per kind; 0: no requests")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--events", type=int, default=300, help="0: no webhook events")
    parser.add_argument("--label", default="", help="the first column of the printed rows")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        return inner(args)
    with tempfile.TemporaryDirectory(prefix="sc-callgrind-") as directory:
        out = Path(directory) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, __file__, "--inner", "--workdir", directory,
            "--requests", str(args.requests), "--warmup", str(args.warmup), "--events", str(args.events),
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_COMMS_")}
        env["PYTHONHASHSEED"] = "0"
        subprocess.run(command, check=True, env=env, stderr=subprocess.DEVNULL)
        found = totals(out)
    per = {"GET": args.requests, "PUT": args.requests, "POST thread": args.requests}
    per["webhook event"] = args.events
    print("| version | GET | PUT (flip) | POST thread | webhook event |\n|---|---:|---:|---:|---:|")
    cells = []
    for what, count in per.items():
        instructions = found.get(f"{what} x{count}")
        cells.append("" if instructions is None else f"{instructions / count / 1000:,.0f}")
    print(f"| {args.label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
