"""Constants and helpers of the operator API tests."""

from typing import Any

from fastapi.testclient import TestClient

STUDIOS = "/admin/v1/studios"
SETTINGS = "/admin/v1/studios/{}/communication-settings"
PREFS = "/v1/communications/{}/communication-preferences"
UNKNOWN_STUDIO = 2**62

DEFAULT_SETTINGS = [
    {
        "messageCategory": "CONTRACT",
        "channels": [
            {"communicationChannel": "LETTER", "customerOverridable": False, "active": True},
            {"communicationChannel": "EMAIL", "customerOverridable": False, "active": True},
        ],
    },
    {
        "messageCategory": "GENERAL",
        "channels": [
            {"communicationChannel": "LETTER", "customerOverridable": True, "active": True},
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
            {"communicationChannel": "PHONE", "customerOverridable": True, "active": True},
        ],
    },
    {
        "messageCategory": "APPOINTMENT",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": True},
            {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": True},
        ],
    },
    {
        "messageCategory": "NEWSLETTER",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
            {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": False},
        ],
    },
    {
        "messageCategory": "LOYALTY_PROGRAM",
        "channels": [
            {"communicationChannel": "EMAIL", "customerOverridable": True, "active": False},
            {"communicationChannel": "TEXT_MESSAGE", "customerOverridable": True, "active": False},
        ],
    },
]


def create_studio(admin: TestClient, **fields: Any) -> dict[str, Any]:
    response = admin.post(STUDIOS, json={"name": "Studio", **fields})
    assert response.status_code == 201, response.text
    return response.json()
