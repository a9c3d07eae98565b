from __future__ import annotations

from typing import Any

THREADS = "/v1/communications/{}/threads"
THREAD = "/v1/communications/{}/threads/{}"


def request(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "communicationThreadStatus": "CREATED",
        "subject": "Complaint",
        "content": "I received two invoices this month, but I only made one purchase.",
        "communicationDirection": "INCOMING",
        "communicationChannel": "LETTER",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}
