"""``fuzz/run.py`` counts a positive_data_acceptance failure apart only when the body sent is
invalid against the published document itself (schemathesis' coverage phase pairs a negative body
with a positive header and calls the case positive): a schema-valid body refused still fails."""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN = Path(__file__).resolve().parents[2] / "fuzz" / "run.py"


@pytest.fixture(scope="module")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_run", RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sent(body: Any) -> dict[str, Any]:
    return {"body": {"$base64": base64.b64encode(json.dumps(body).encode()).decode()}}


def test_only_a_body_the_document_refuses_is_counted_apart(
    run: ModuleType, openapi_document: dict[str, Any]
) -> None:
    refused = run._body_refused_by
    send = "POST /v1/messages"
    valid = {
        "customerIds": [1, 2],
        "messageCategory": "GENERAL",
        "communicationChannel": "TEXT_MESSAGE",
        "content": "Hello",
    }
    assert refused(openapi_document, send, _sent(0))  # what the coverage phase sent
    assert refused(openapi_document, send, _sent({**valid, "communicationChannel": "EMAIL"}))  # no subject
    assert not refused(openapi_document, send, _sent(valid))
    e_mail = {**valid, "communicationChannel": "EMAIL", "subject": "Hi"}
    assert not refused(openapi_document, send, _sent(e_mail))
    assert not refused(openapi_document, send, None)  # no body: nothing to judge
    assert not refused(None, send, _sent(0))  # no document (or not OpenAPI 3.1): nothing is counted apart


def test_a_stateful_case_is_judged_by_its_own_operation(run: ModuleType) -> None:
    recorder = {
        "label": "Stateful tests",
        "cases": {"c1": {"value": {"method": "post", "path": "/v1/messages"}}},
    }
    assert run._operation_of(recorder, "c1") == "POST /v1/messages"
    assert run._operation_of(recorder, "unknown") == "Stateful tests"
