"""The operator's soft-bounce limit per studio: ``GET|PUT /admin/v1/studios/{id}/bounce-settings``
(defaults 3 in 15 days; limit 1-100, days 1-365), refusals as ErrorResponse in English and German,
nothing written by a refused PUT."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import World


def path(studio_id: int) -> str:
    return f"/admin/v1/studios/{studio_id}/bounce-settings"


def test_the_defaults_and_a_replacement(admin: TestClient, world: World) -> None:
    assert admin.get(path(world.studio_a)).json() == {"softBounceLimit": 3, "softBounceDays": 15}
    answer = admin.put(path(world.studio_a), json={"softBounceLimit": 5, "softBounceDays": 30})
    assert answer.status_code == 200, answer.text
    assert admin.get(path(world.studio_a)).json() == {"softBounceLimit": 5, "softBounceDays": 30}
    # Absent fields are the defaults (a replacement, not a merge).
    answer = admin.put(path(world.studio_a), json={"softBounceDays": 7})
    assert answer.json() == {"softBounceLimit": 3, "softBounceDays": 7}
    assert admin.get(path(world.studio_b)).json() == {"softBounceLimit": 3, "softBounceDays": 15}


@pytest.mark.parametrize(
    ("body", "reference"),
    [
        ({"softBounceLimit": 0}, "softBounceLimit"),
        ({"softBounceLimit": 101}, "softBounceLimit"),
        ({"softBounceDays": 0}, "softBounceDays"),
        ({"softBounceDays": 366}, "softBounceDays"),
        ({"softBounceLimit": "3"}, "softBounceLimit"),
        ({"softBounceLimit": 2.5}, "softBounceLimit"),
        ({"softBounceLimit": True}, "softBounceLimit"),
        ({"softBounceLimit": 3, "hardBounceLimit": 1}, "hardBounceLimit"),
    ],
)
def test_a_value_out_of_range_is_refused_and_nothing_is_written(
    admin: TestClient, world: World, body: dict[str, Any], reference: str
) -> None:
    english = admin.put(path(world.studio_a), json=body)
    german = admin.put(path(world.studio_a), json=body, headers={"Accept-Language": "de"})
    assert english.status_code == german.status_code == 400, english.text
    assert english.json()["errorCode"] == german.json()["errorCode"]
    assert reference in english.json()["reference"]
    assert english.json()["errorMessage"] != german.json()["errorMessage"]
    assert admin.get(path(world.studio_a)).json() == {"softBounceLimit": 3, "softBounceDays": 15}


def test_the_range_refusal_names_the_field_in_both_languages(admin: TestClient, world: World) -> None:
    english = admin.put(path(world.studio_a), json={"softBounceDays": 400})
    german = admin.put(path(world.studio_a), json={"softBounceDays": 400}, headers={"Accept-Language": "de"})
    assert english.json()["errorCode"] == "VALIDATION_FAILED"
    assert "is out of range" in english.json()["errorMessage"]
    assert "außerhalb des erlaubten Bereichs" in german.json()["errorMessage"]


def test_an_unknown_studio_is_404(admin: TestClient, world: World) -> None:
    for answer in (
        admin.get(path(999_999)),
        admin.put(path(999_999), json={"softBounceLimit": 1}),
    ):
        assert answer.status_code == 404, answer.text
        assert answer.json()["errorCode"] == "STUDIO_NOT_FOUND"


def test_a_studio_key_cannot_reach_it(api: TestClient, world: World) -> None:
    answer = api.get(path(world.studio_a))
    assert answer.status_code == 401, answer.text
