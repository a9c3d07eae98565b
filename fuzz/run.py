#!/usr/bin/env python3
"""Schemathesis on a real server, on SQLite and PostgreSQL (``make fuzz``): driven by our own
``/openapi.json``, then by the official Magicline Open API 1.5.0 document.

For each database: a fresh database (SQLite file in a temp dir; PostgreSQL ``sc_fuzz_<random>``,
dropped at the end), migrated and seeded with the demo studio (customers 1-5, an all-scope API key
moved to an id the fuzzer will not guess, so it cannot revoke it), then ``studio-comms serve
--no-worker`` and ``st run --checks all`` (positive and negative data) with a fixed seed
(``--seed`` to vary it): once with our document (every operation), once with the official one
(the operations we implement), so input is as strict as the official schemas say.

The official document is read where ``STUDIO_COMMS_OFFICIAL_SPEC`` points, else from the shared
reference beside the repository (``../shared/reference/magicline-official/openapi-1.5.0.json``,
where CI's clone finds it), else ``/work/shared/reference/…``; it is never copied into the repo.
Without it the official run is skipped with a message, except under ``CI=true``, where it fails.

The run fails on any server error (a 5xx response, or an error the server logged as unexpected) and
on any failed check except those in ``TOLERATED`` (each with the reason). A schema-valid request
refused (positive data acceptance) fails it too, unless the answer names a rule no schema can state
(``RULES_BEYOND_SCHEMA``: the studio's offer, DNS, a phone number's plan): a refusal as invalid
input (``VALIDATION_FAILED``) always fails. It prints the checks, the statuses seen and
schemathesis' own summary of what it found.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from studio_comms.db.database import open_database
from studio_comms.db.engine import normalize_url
from studio_comms.db.migrate import upgrade
from studio_comms.demo import ensure_demo

BIN = Path(sys.executable).parent
ADMIN_TOKEN = "fuzz-operator-token-0123456789abcdef"
FUZZ_KEY_ID = 7_340_031_117
# Checks whose failures are reported but do not fail the run, and why.
TOLERATED = {
    "unsupported_method": "POST on .../threads/{threadId} is accepted like PUT, as clients send it "
    "(README), and is kept out of the schema",
}
# Schema-valid requests refused by a rule that depends on data or the world, not on the request's
# shape: the errorCode of the answer, and why no schema can state it.
RULES_BEYOND_SCHEMA = {
    "CHANNEL_NOT_OFFERED": "depends on the studio's offer (its communication settings)",
    "CHANNEL_NOT_OVERRIDABLE": "depends on the studio's offer (its communication settings)",
    "DUPLICATE_CHANNEL": "a channel twice in one category: JSON Schema's uniqueItems compares whole objects",
    "DUPLICATE_CATEGORY": "a category twice in one body: JSON Schema's uniqueItems compares whole objects",
    "QUIET_HOURS_REPEATED": "a category twice in the quiet hours: uniqueItems compares whole objects",
    "WEBHOOK_URL_NOT_ALLOWED": "the receiver's host must resolve, to a public address (DNS, networks)",
    "PHONE_NUMBER_INVALID": "whether a number exists in its country's numbering plan (libphonenumber)",
    "SMS_SENDER_INVALID": "whether a number exists in its country's numbering plan (libphonenumber)",
    "MAIL_PROVIDER_KEY_INVALID": "whether base64 text is a DER public key on the P-256 curve",
    "MAIL_FEEDBACK_MALFORMED": "the body is a MIME report (RFC 3464/5965) that no JSON Schema describes",
    "REQUEST_ID_MISMATCH": "requestId must equal the Idempotency-Key header when both are sent: OpenAPI "
    "gives each parameter and the body a schema of its own and has no way to relate two of them",
    "TEMPLATE_INVALID": "`{{`, `{%` and `{#` in a message's text may only open one of the documented "
    "placeholders (the descriptions say so); a pattern for it would be re-run on 100,000 characters",
    "SEARCH_CRITERIA_MISSING": "getCustomerBy and searchCustomers publish every criterion optional and "
    "look customers up by one of them: a request naming none asks for nothing (no schema says so)",
    "SEARCH_CRITERION_NOT_HELD": "card numbers, debtor ids, barcodes, QR codes and dates of birth are "
    "official criteria studio-comms holds no data for: it says so rather than answer an empty match",
    "CUSTOMER_NUMBER_TAKEN": "a customer number belongs to one customer of the studio (state)",
    "RENDERED_TOO_LONG": "a message's fields checked against their limits with the member's values "
    "filled in, and TEXT_MESSAGE content's 1,600 characters: limits of the member and the channel",
    "MARKETING_FLAG_NOT_ALLOWED": "`marketing` true for CONTRACT/APPOINTMENT or false for NEWSLETTER/"
    "LOYALTY_PROGRAM: a rule across two fields (the descriptions say so)",
}
# Not listed: IDEMPOTENCY_KEY_REUSED (a key sent again with another body, a rule on state) answers
# 409, which positive_data_acceptance counts as an acceptable answer to a valid request anyway.
# Refusals of schema-valid requests that are ours on purpose: (errorCode, what the errorMessage
# says) and why.
STRICTER_ON_PURPOSE = {
    ("VALIDATION_FAILED", "pass back the offset of the previous slice"): "the official slice offset "
    "is a string holding the last id of the previous slice; one that is not an id names no position",
    ("VALIDATION_FAILED", "NUL characters are not allowed"): "a NUL anywhere in a body, also in a field "
    "the official schemas leave open (unknown properties): PostgreSQL cannot store one (published "
    "strings say so with a pattern)",
    ("VALIDATION_FAILED", "messageCategory is required"): "a preference without its category means "
    "nothing; the official CommunicationPreference lists no required property",
    ("VALIDATION_FAILED", "must be an integer"): "an integer written with a fraction (1.0): JSON Schema "
    "counts it an integer, we refuse it (ids are not read from floats)",
    ("VALIDATION_FAILED", "special-use or reserved name"): "an e-mail domain reserved by RFC 6761 "
    "(.test, .local, .invalid …) can receive no mail; format: email does not say so",
}
# Refusals stricter than the official document only (ours publishes the rule, so on our document
# such a refusal fails the run).
STRICTER_THAN_OFFICIAL = {
    ("VALIDATION_FAILED", "must not be empty"): "a blank subject or content (both required) records "
    "nothing anyone can read; our document publishes the non-blank pattern, the official one does not",
}
# Checks that fail against the official document by design, and why.
TOLERATED_OFFICIAL = {
    "allow_header_conformance": "our extensions add methods to official paths (GET …/threads is the "
    "timeline, POST …/threads/{threadId} is accepted like PUT), so Allow names more than the document; "
    "/v1/customers/search also has the shape of /v1/customers/{customerId} (GET), as in the official",
}
OFFICIAL_OPERATIONS = (
    "getCommunicationPreferences",
    "updateCommunicationPreferences",
    "createCommunicationInNewCommunicationThread",
    "createCommunicationInExistingCommunicationThread",
    "getStudioInformation",
    "confirmActivation",
    "getCustomerById",
    "getCustomers",
    "getCustomerBy",
    "searchCustomers",
)
OFFICIAL_SPEC_ENV = "STUDIO_COMMS_OFFICIAL_SPEC"
OFFICIAL_SPEC_NAME = Path("shared/reference/magicline-official/openapi-1.5.0.json")
# Schemathesis' coverage phase may pair a positive variant of one parameter (a header, say) with a
# body it made invalid (``0`` for an object: the report's meta says the body component was
# "negative") and still call the case positive. Such a refusal says nothing against the schema: a
# positive_data_acceptance failure whose body the document itself refuses is counted apart, never
# hidden, and only for documents we can validate against (OpenAPI 3.1: JSON Schema 2020-12).
NOT_SCHEMA_VALID = "the body sent is not valid against the document (schemathesis labelled it positive)"
# Answered before an operation is reached; schemathesis counts only 4xx it knows as a rejection.
EDGE_STATUSES = {414, 431}
# The document publishes optional fields without ``null``, as the official spec does (generated
# clients type them ``X | Unset``); a body that sends null for one is still accepted, as before.
NULL_ACCEPTED = "null for an optional field is accepted though the document no longer lists it"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'fuzz.db'}"
        return
    admin_url = os.environ.get("STUDIO_COMMS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"sc_fuzz_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(database_url: str, workdir: Path) -> str:
    upgrade(database_url)
    with open_database(database_url) as database:
        demo = ensure_demo(database, workdir / "demo.json", now=datetime.now(UTC))
        with database.engine.begin() as connection:
            connection.execute(
                text("UPDATE api_keys SET id = :id WHERE studio_id = :studio"),
                {"id": FUZZ_KEY_ID, "studio": demo.studio_id},
            )
    return demo.api_key


@contextlib.contextmanager
def server(database_url: str, workdir: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    env = {
        **os.environ,
        "STUDIO_COMMS_DATABASE_URL": database_url,
        "STUDIO_COMMS_VAR_DIR": str(workdir / "var"),
        "STUDIO_COMMS_ADMIN_TOKEN": ADMIN_TOKEN,
        "STUDIO_COMMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "STUDIO_COMMS_RATE_LIMIT": "1000000/minute",
    }
    env.pop("STUDIO_COMMS_REDIS_URL", None)
    log = workdir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(BIN / "studio-comms"), "serve", "--no-worker", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded 2-core machine imports the app slowly
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.2)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def official_spec() -> Path | None:
    given = os.environ.get(OFFICIAL_SPEC_ENV)
    candidates = [Path(given)] if given else []
    candidates += [
        Path(__file__).resolve().parents[2] / OFFICIAL_SPEC_NAME,
        Path("/work") / OFFICIAL_SPEC_NAME,
    ]
    return next((path for path in candidates if path.is_file()), None)


def schemathesis(
    base: str, api_key: str, args: argparse.Namespace, report_dir: Path, spec: Path | None = None
) -> int:
    """Our document (every operation), or the official ``spec`` (the operations we implement)."""
    target = [f"{base}/openapi.json"]
    if spec is not None:
        target = [str(spec), "--url", base]
        for operation in OFFICIAL_OPERATIONS:
            target += ["--include-operation-id", operation]
    command = [
        str(BIN / "st"), "run", *target,
        "--checks", "all",
        "--max-examples", str(args.examples),
        "--seed", str(args.seed),
        "--workers", str(args.workers),
        "--header", f"X-API-KEY: {api_key}",
        "--header", f"Authorization: Bearer {ADMIN_TOKEN}",
        # Our credentials on every request (ignored_auth still checks requests without them).
        "--generation-with-security-parameters", "false",
        "--generation-database", "none",
        "--request-timeout", "30",
        "--max-response-time", str(args.max_response_time),
        "--report", "ndjson", "--report-dir", str(report_dir),
        "--no-color",
    ]  # fmt: skip
    return subprocess.run(command, check=False).returncode


def analyse(
    report_dir: Path,
    tolerated: dict[str, str],
    document: dict[str, Any] | None = None,
    official: dict[tuple[str, str], str] | None = None,
) -> tuple[Counter[tuple[str, str]], Counter[int], list[str]]:
    """Checks by (name, status), response statuses, and the failures that fail the run (each with
    the body sent and the answer's error, so a failure can be read without replaying it)."""
    checks: Counter[tuple[str, str]] = Counter()
    statuses: Counter[int] = Counter()
    blocking: list[str] = []
    [report] = report_dir.glob("*.ndjson")
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for kind in ("NonFatalError", "FatalError"):
            if kind in event:
                # The tool failed on an operation (or altogether): it went untested, which is
                # not "nothing found".
                error = event[kind]
                what = error.get("value") or error.get("exception") or error
                blocking.append(f"schemathesis {kind} on {error.get('label', 'the run')}: {str(what)[:300]}")
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        interactions = recorder.get("interactions") or {}
        for interaction in interactions.values():
            response = interaction.get("response")
            if response:
                statuses[response["status_code"]] += 1
        for case_id, case_checks in (recorder.get("checks") or {}).items():
            response = (interactions.get(case_id) or {}).get("response") or {}
            status = response.get("status_code")
            for check in case_checks:
                checks[(check["name"], check["status"])] += 1
                if check["status"] != "failure" or check["name"] in tolerated:
                    continue
                code, message = _error_of(response)
                request = (interactions.get(case_id) or {}).get("request")
                operation = _operation_of(recorder, case_id)
                positive = check["name"] == "positive_data_acceptance"
                if positive and _body_refused_by(document, operation, request):
                    checks[("positive_data_acceptance", f"not counted: {NOT_SCHEMA_VALID}")] += 1
                    continue
                if check["name"] == "positive_data_acceptance" and code in RULES_BEYOND_SCHEMA:
                    checks[("positive_data_acceptance", f"refused by {code}")] += 1
                    continue
                stricter = STRICTER_ON_PURPOSE if official is None else {**STRICTER_ON_PURPOSE, **official}
                purpose = [said for (known, said) in stricter if known == code and said in message]
                if check["name"] == "positive_data_acceptance" and purpose:
                    checks[("positive_data_acceptance", f"refused on purpose: {purpose[0]}")] += 1
                    continue
                negative = check["name"] == "negative_data_rejection"
                if negative and (status in EDGE_STATUSES or _sends_null(request)):
                    continue
                sent = _body_of(request)
                blocking.append(
                    f"{operation}: {check['name']} (status {status} {code or ''} {message[:200]!r}; "
                    f"body {sent[:300]!r})"
                )
    return checks, statuses, blocking


def _error_of(response: dict[str, Any]) -> tuple[str | None, str]:
    """The answer's errorCode and errorMessage (English: the fuzzer sends no Accept-Language)."""
    body = response.get("content")  # the report's form: {"$base64": "…"}
    if isinstance(body, dict):
        body = body.get("$base64")
    if not isinstance(body, str):
        return None, ""
    try:
        error = json.loads(base64.b64decode(body))
        code, message = error.get("errorCode"), error.get("errorMessage")
    except (ValueError, AttributeError):
        return None, ""
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else "")


def _operation_of(recorder: dict[str, Any], case_id: str) -> str:
    """ "POST /v1/messages": the case's own operation (a stateful scenario's label names none)."""
    case = ((recorder.get("cases") or {}).get(case_id) or {}).get("value") or {}
    if case.get("method") and case.get("path"):
        return f"{case['method'].upper()} {case['path']}"
    return str(recorder["label"])


def _body_of(request: dict[str, Any] | None) -> str:
    """The recorded request's body as text ("" without one)."""
    body = (request or {}).get("body")
    if isinstance(body, dict):  # the report's form: {"$base64": "…"}
        body = body.get("$base64")
    if not isinstance(body, str):
        return ""
    return base64.b64decode(body).decode(errors="replace")


def _body_refused_by(document: dict[str, Any] | None, label: str, request: dict[str, Any] | None) -> bool:
    """Whether ``document`` (OpenAPI 3.1) itself refuses the JSON body of the request ``label``
    ("POST /v1/messages") sent: then it was no schema-valid request (see NOT_SCHEMA_VALID)."""
    if document is None or not str(document.get("openapi", "")).startswith("3.1"):
        return False
    method, _, path = label.partition(" ")
    operation = (document.get("paths", {}).get(path) or {}).get(method.lower()) or {}
    schema = (operation.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema")
    text = _body_of(request)
    if schema is None or not text:
        return False
    try:
        value = json.loads(text)
    except ValueError:
        return False
    root = {**schema, "components": document.get("components", {})}
    return not jsonschema_rs.Draft202012Validator(root).is_valid(value)


def _sends_null(request: dict[str, Any] | None) -> bool:
    """Whether the recorded request's JSON body holds a null anywhere (see NULL_ACCEPTED)."""
    try:
        value = json.loads(_body_of(request))
    except ValueError:
        return False
    pending = [value]
    while pending:
        item = pending.pop()
        if item is None:
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def fuzz(kind: str, args: argparse.Namespace, spec: Path | None) -> bool:
    runs = {"ours": None} if spec is None or args.documents == "ours" else {"ours": None, "official": spec}
    if args.documents == "official" and spec is not None:
        runs = {"official": spec}
    passed = True
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{kind}-") as tmp:
        workdir = Path(tmp)
        with fresh_database(kind, workdir) as database_url:
            api_key = seed(database_url, workdir)
            with server(database_url, workdir) as (base, log):
                for name, document in runs.items():
                    print(f"== fuzz on {kind} with the {name} document: {base}", flush=True)
                    schemathesis(base, api_key, args, workdir / f"report-{name}", document)
                    tolerated = TOLERATED if document is None else {**TOLERATED, **TOLERATED_OFFICIAL}
                    published = (
                        httpx.get(f"{base}/openapi.json", timeout=30).json()
                        if document is None
                        else json.loads(document.read_text())
                    )
                    official = None if document is None else STRICTER_THAN_OFFICIAL
                    passed &= report(
                        f"{kind}, {name} document", workdir / f"report-{name}", tolerated, published, official
                    )
                server_log = log.read_text(errors="replace")
    logged = server_log.count("unexpected error") + server_log.count("Traceback")
    print(f"== fuzz on {kind}: {logged} errors in the server log")
    if logged:
        print(server_log[-5000:])
    return passed and logged == 0


def report(
    title: str,
    report_dir: Path,
    tolerated: dict[str, str],
    document: dict[str, Any],
    official: dict[tuple[str, str], str] | None = None,
) -> bool:
    checks, statuses, blocking = analyse(report_dir, tolerated, document, official)
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    print(
        f"== fuzz on {title}: {sum(statuses.values())} responses, statuses {dict(sorted(statuses.items()))}"
    )
    for (name, status), count in sorted(checks.items()):
        note = f"  (tolerated: {tolerated[name]})" if status == "failure" and name in tolerated else ""
        print(f"   {name} {status}: {count}{note}")
    print(f"== fuzz on {title}: {server_errors} server errors, {len(blocking)} failures")
    for failure in blocking:
        print(f"   FAILED {failure}")
    return server_errors == 0 and not blocking


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--examples", type=int, default=200, help="cases per operation and phase")
    parser.add_argument("--seed", type=int, default=20261127)
    # One worker: with two threads, CPython 3.11.7's ast.parse (hypothesis describing a filter)
    # now and then raises "AST constructor recursion depth mismatch" (CPython gh-106905), and the
    # operation it was generating for goes untested.
    parser.add_argument("--workers", type=int, default=1)
    # Generous on purpose: the machine running make fuzz is shared (other test runs beside it),
    # and a stall of seconds is held by tests of its own (a template's render beside /healthz).
    parser.add_argument("--max-response-time", type=float, default=10.0, help="seconds per response")
    parser.add_argument("--documents", choices=("both", "ours", "official"), default="both")
    args = parser.parse_args()
    spec = official_spec()
    if spec is None and args.documents != "ours":
        where = f"${OFFICIAL_SPEC_ENV}, ../{OFFICIAL_SPEC_NAME} or /work/{OFFICIAL_SPEC_NAME}"
        if os.environ.get("CI") == "true":
            print(f"fuzz: the official spec is not at {where}: the official-spec run is mandatory in CI")
            return 1
        print(f"fuzz: the official spec is not at {where}: the official-spec run is skipped")
    results = {kind: fuzz(kind, args, spec) for kind in args.databases.split(",")}
    passed = sum(results.values())
    print(f"fuzz: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
