"""The rules bench/benchlib/stacks.py sorts profile samples by (first matching rule wins).

Paths are shortened: ``sqlalchemy/orm/session.py``, ``stdlib/threading.py``,
``studio_comms/db/database.py``. When our code moves, these rules follow it; a sample no rule knows
shows up as "other: <file>" rather than vanishing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rule:
    label: str
    path: str  # regex, matched at the start of the shortened path
    func: str = ""  # regex, matched at the start of the function name ("" = any)
    _compiled: tuple[re.Pattern[str], re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", (re.compile(self.path), re.compile(self.func)))

    def matches(self, path: str, func: str, _line: int) -> bool:
        path_re, func_re = self._compiled
        return bool(path_re.match(path) and func_re.match(func))


def rules(label: str, *paths: str, func: str = "") -> list[Rule]:
    return [Rule(label, path, func) for path in paths]


# Helpers whose time belongs to whoever called them.
# fmt: off
TRANSPARENT = [
    *rules("", r"pydantic", r"stdlib/(contextlib|functools|typing|enum|dataclasses|copy|abc|types)\.py"),
    *rules("", r"stdlib/(json|re|collections|email|urllib|encodings)/", r"<"),
    *rules("", r"stdlib/(uuid|random|datetime)\.py"),
    *rules("", r"stdlib/(weakref|_weakrefset|inspect|hashlib|hmac|secrets|base64|string|operator)\.py"),
    *rules("", r"typing_extensions", r"annotated_types", r"sniffio/"),
]

SQL_DRIVER = "DB driver calls (sqlite3 / psycopg: execute, fetch, commit)"
WIRE = "ours: wire models (pydantic models of the answer)"
COMPONENTS = [
    *rules("logging", r"stdlib/logging/"),
    *rules("FastAPI telemetry hooks (OpenTelemetry)", r"fastapi/telemetry/", r"opentelemetry/"),
    *rules(SQL_DRIVER, r"psycopg"),
    *rules(SQL_DRIVER, r"sqlalchemy/engine/default\.py", func=r"DefaultDialect\.do_"),
    *rules(SQL_DRIVER, r"studio_comms/db/tx\.py", func=r"Tx\.(_execute|rows|run)"),
    *rules("SQLAlchemy ORM (session, unit of work, identity map, loading)", r"sqlalchemy/orm/"),
    *rules("SQLAlchemy pool (checkout, reset on return)", r"sqlalchemy/pool/"),
    *rules("SQLAlchemy Core (compile and cache keys, execution context, rows, events)", r"sqlalchemy"),
    *rules("rate limiter (limits + core/ratelimit.py)", r"limits/", r"studio_comms/core/ratelimit\.py"),
    *rules("thread hop (anyio to_thread, queues, lock and condition wake-ups)", r"anyio/",
           r"stdlib/(threading|queue)\.py", r"stdlib/concurrent/", r"studio_comms/core/runtime\.py"),
    *rules("event loop (asyncio, uvloop)", r"stdlib/asyncio/", r"uvloop/"),
    *rules("uvicorn (HTTP parsing, ASGI cycle, send)", r"uvicorn/", r"httptools/"),
    *rules("Starlette (middleware stack, routing, Request/Response)", r"starlette/"),
    *rules("FastAPI (routing, dependency resolution, parameter and body validation)", r"fastapi/"),
    *rules("HTTP client (httpx, httpcore, h11, socket)", r"httpx/", r"httpcore/", r"h11/",
           r"stdlib/(socket|ssl)\.py"),
    *rules("ours: serialisation (to_json, wire_json)", r"studio_comms/api/context\.py",
           func=r"to_json|_stored"),
    *rules("ours: serialisation (to_json, wire_json)", r"studio_comms/preferences/service\.py",
           func=r"wire_json"),
    Rule(WIRE, r"studio_comms/.*/wire\.py"),
    Rule(WIRE, r"studio_comms/", r".*to_wire"),
    *rules("ours: auth (key lookup, SHA-256 compare, principal)", r"studio_comms/apikeys/",
           r"studio_comms/core/auth\.py"),
    *rules("ours: units of work (Database: BEGIN, COMMIT, the writer turn, the loop's connection)",
           r"studio_comms/db/(database|tx)\.py"),
    *rules("ours: hot routes (api/hot.py: routing, validation by FastAPI's fields)",
           r"studio_comms/api/hot\.py"),
    *rules("ours: request context, unit of work (api/context.py)", r"studio_comms/api/context\.py",
           r"studio_comms/core/(principals|runtime)\.py"),
    *rules("ours: RequestGuardMiddleware, request id", r"studio_comms/core/(middleware|requestid)\.py"),
    *rules("ours: audit (IP, user agent)", r"studio_comms/core/audit\.py"),
    *rules("ours: preferences (rules, service, repository)", r"studio_comms/preferences/"),
    *rules("ours: communications (service, repository)", r"studio_comms/communications/"),
    *rules("ours: outbox (enqueue, queue, worker loop)", r"studio_comms/outbox/"),
    *rules("ours: webhooks (deliveries, handlers, signing, sender)", r"studio_comms/webhooks/"),
    *rules("ours: other", r"studio_comms/"),
    *rules("standard library (other)", r"stdlib/"),
]

CLAIM = "claim (any due? + SELECT … + lease UPDATE)"
PHASES = [
    # A request.
    *rules("idempotency (claim, complete)", r"studio_comms/idempotency/"),
    *rules("rate limit (RateLimiter.hit)", r"studio_comms/core/ratelimit\.py"),
    *rules("auth: key lookup by prefix + SHA-256 compare", r"studio_comms/apikeys/service\.py",
           func=r"authenticate"),
    *rules("auth: scope check, endpoint name, principal cache (rest of _authorize)",
           r"studio_comms/api/context\.py", func=r"ApiContext\._authorize"),
    *rules("auth: scope check, endpoint name, principal cache (rest of _authorize)",
           r"studio_comms/core/principals\.py"),
    *rules("audit (IP, user agent, request id)", r"studio_comms/core/audit\.py"),
    *rules("customer row lock (SELECT … FOR UPDATE; none on SQLite)",
           r"studio_comms/customers/repository\.py", func=r"CustomersRepository\.exists"),
    *rules("load preference state (one statement: offers, choices, blocks)",
           r"studio_comms/preferences/repository\.py", func=r"PreferencesRepository\.state"),
    *rules("decide / plan changes (rules.py)", r"studio_comms/preferences/rules\.py"),
    *rules("ledger entry + choice (two statements)", r"studio_comms/preferences/repository\.py",
           func=r"PreferencesRepository\.record"),
    *rules("outbox row (INSERT, NOTIFY once per transaction)", r"studio_comms/outbox/(service|queue)\.py",
           func=r"enqueue|add"),
    Rule("wire models of the answer", r"studio_comms/.*/wire\.py"),
    Rule("wire models of the answer", r"studio_comms/", r".*to_wire"),
    *rules("thread + communication rows (communications service)", r"studio_comms/communications/"),
    *rules("serialise the answer (wire_json, to_json)", r"studio_comms/preferences/service\.py",
           func=r"wire_json"),
    *rules("preferences service (rest)", r"studio_comms/preferences/service\.py"),
    *rules("serialise the answer (wire_json, to_json)", r"studio_comms/api/context\.py",
           func=r"to_json|_stored"),
    # A webhook event (outbox worker).
    *rules(CLAIM, r"studio_comms/outbox/queue\.py", func=r"claim|any_due"),
    *rules(CLAIM, r"studio_comms/outbox/worker\.py", func=r"Worker\.(claim|_claim_safely)"),
    *rules("fan-out (deliveries + their outbox rows)", r"studio_comms/webhooks/deliveries\.py",
           func=r"fan_out|_queue"),
    *rules("sign the envelope (Standard Webhooks)", r"studio_comms/webhooks/signing\.py"),
    *rules("HTTP POST (sender, HTTP/1.1 connection)", r"studio_comms/webhooks/(sender|http1)\.py"),
    *rules("record the attempt (attempt row, delivery state, subscription healthy)",
           r"studio_comms/webhooks/handlers\.py", func=r"Deliver\._record|_healthy|_finish"),
    *rules("load the batch's deliveries", r"studio_comms/webhooks/handlers\.py", func=r"_Batches\."),
    *rules("perform a delivery (checks, endpoint slot)", r"studio_comms/webhooks/handlers\.py",
           func=r"Deliver\.perform|EndpointSlots"),
    *rules("hold the items, complete/defer them", r"studio_comms/outbox/(queue|recording)\.py"),
    *rules("deferred statements (Tx.later, executemany)", r"studio_comms/db/tx\.py",
           func=r"Tx\.(flush|run_many|_returning_many)"),
    *rules("worker loop (claims, event loop, stats)", r"studio_comms/outbox/worker(_stats)?\.py"),
    # Around the unit of work.
    *rules("commit (ORM flush + COMMIT)", r"sqlalchemy/orm/session\.py", func=r"Session\.commit"),
    *rules("session/transaction scope (open, close, pool, SQLite writer turn)",
           r"studio_comms/db/session\.py"),
    *rules("request context, endpoint, unit of work (rest)", r"studio_comms/core/context\.py",
           r"studio_comms/.*/endpoints\.py"),
    *rules("thread hop (dispatch to / wake from the worker thread)", r"anyio/",
           r"studio_comms/core/runtime\.py"),
    *rules("FastAPI: dependencies + parameter/body validation", r"fastapi/dependencies/"),
    *rules("our RequestGuardMiddleware", r"studio_comms/core/(middleware|requestid)\.py"),
    *rules("FastAPI telemetry hooks", r"fastapi/telemetry/", r"opentelemetry/"),
    *rules("routing, middleware, Request/Response (Starlette, FastAPI)",
           r"starlette/(routing|applications|_exception_handler|requests|responses|middleware/)",
           r"fastapi/"),
    *rules("uvicorn + event loop (HTTP parsing, ASGI cycle, send)", r"uvicorn/"),
]
# fmt: on
