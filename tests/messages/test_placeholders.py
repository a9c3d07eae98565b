"""Placeholders, not a template language (``messages.placeholders``): what they render, in linear
time, the same for single and bulk sends; every rendered field checked against its limit per
member when the send is accepted, so nothing over a limit is ever queued."""

from __future__ import annotations

import ast
import html
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text

import studio_comms.messages
from studio_comms.db.database import Database
from studio_comms.messages.errors import RenderedTooLong, TemplateInvalid
from studio_comms.messages.placeholders import PLACEHOLDERS, Member, TooLong, limits, parse, parse_fields
from studio_comms.messages.schemas import SendChannel
from studio_comms.outbox.worker import Worker
from tests.conftest import FixedClock
from tests.factories import World, make_customer
from tests.messages.conftest import send
from tests.smtp_server import SmtpServer

ERIKA = Member("Erika", "Mustermann", "Studio A")
LONG_NAME = "N" * 200  # the longest name a customer may have


def render(source: str, member: Member = ERIKA, *, escape: bool = False) -> str:
    values = member.values()
    if escape:
        values = {name: html.escape(value) for name, value in values.items()}
    return parse("content", source, escape=escape).render(values)


# ---- the substitution itself ------------------------------------------------------------------


def test_placeholders_are_replaced_with_or_without_spaces() -> None:
    assert render("Hi {{ firstName }} {{lastName}}, {{\tstudioName  }}!") == "Hi Erika Mustermann, Studio A!"
    assert render("No placeholder at all") == "No placeholder at all"
    assert render("{{ firstName }}{{ firstName }}") == "ErikaErika"


def test_other_braces_are_plain_text() -> None:
    for literal in ("{ firstName }", "{firstName}", "}} firstName }}", "{}", "a } b { c", "{ {firstName} }"):
        assert render(literal) == literal


def test_values_are_inserted_as_they_are_never_read_again() -> None:
    sneaky = Member("{{ lastName }}", "{% macro %}", "{{ studioName }}")
    assert render("{{ firstName }}|{{ lastName }}|{{ studioName }}", sneaky) == (
        "{{ lastName }}|{% macro %}|{{ studioName }}"
    )


def test_html_gets_escaped_values_and_its_own_markup_as_given() -> None:
    member = Member("<b>Jo</b>", "O'Neil & Co", "S")
    assert render("<p>{{ firstName }} {{ lastName }}</p>", member, escape=True) == (
        "<p>&lt;b&gt;Jo&lt;/b&gt; O&#x27;Neil &amp; Co</p>"
    )


@pytest.mark.parametrize(
    ("source", "position"),
    [
        ("Hi {{ firstName", 4),
        ("{{ firstName }", 1),
        ("{{{ firstName }}}", 1),
        ("{{ firstName.format_map }}", 1),
        ("ab{{ 1/0 }}", 3),
        ("{% if firstName %}x{% endif %}", 1),
        ("{# note #}", 1),
        ("{{}}", 1),
    ],
)
def test_anything_else_opened_by_double_braces_is_refused_naming_the_field(
    source: str, position: int
) -> None:
    with pytest.raises(TemplateInvalid) as caught:
        parse("subject", source)
    assert caught.value.reference == "subject"
    assert caught.value.catalogue_key == "TEMPLATE_INVALID"
    assert caught.value.args_for_message["position"] == position


def test_an_unknown_name_is_quoted_so_a_typo_is_seen() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        parse("content", "Hi {{ firstname }}")
    assert caught.value.catalogue_key == "TEMPLATE_UNKNOWN_PLACEHOLDER"
    assert caught.value.args_for_message["name"] == "firstname"
    with pytest.raises(TemplateInvalid) as caught:
        parse("content", "{{ " + "x" * 1000 + " }}")  # too long to be a typo: by position
    assert caught.value.catalogue_key == "TEMPLATE_INVALID"


@pytest.mark.parametrize(
    "source",
    ["{" * 100_000, "{{" + " " * 99_998, "{{ " + "a" * 99_997, "{{ firstName " * 7_000, "{% " * 33_000],
    ids=["braces", "blanks", "letters", "unclosed", "statements"],
)
def test_parsing_is_linear_in_the_text(source: str) -> None:
    """100,000 characters built to make a backtracking or nested scan quadratic (10^10 steps)."""
    started = time.perf_counter()
    with pytest.raises(TemplateInvalid):
        parse("content", source)
    assert time.perf_counter() - started < 1.0  # linear: milliseconds; quadratic: minutes


def test_many_placeholders_parse_and_render_in_linear_time() -> None:
    started = time.perf_counter()
    template = parse("content", "{{ firstName }}" * 6_600)
    for _ in range(100):
        assert template.render(ERIKA.values()) == "Erika" * 6_600
    assert time.perf_counter() - started < 2.0


def test_the_length_is_counted_without_rendering() -> None:
    template = parse("content", "ab {{ firstName }} {{ studioName }}{{ firstName }}")
    for member in (ERIKA, Member(LONG_NAME, "x", "Studio")):
        assert template.length(member.values()) == len(template.render(member.values()))


def test_limits_per_field_and_channel() -> None:
    assert limits(SendChannel.EMAIL) == {"subject": 255, "content": 100_000, "html": 500_000}
    assert limits(SendChannel.TEXT_MESSAGE)["content"] == 1_600
    email = parse_fields(SendChannel.EMAIL, subject="{{ firstName }}{{ lastName }}", content="x", html=None)
    assert email.render(ERIKA) == {"subject": "ErikaMustermann", "content": "x"}
    assert email.render(Member(LONG_NAME, LONG_NAME, "S")) == TooLong("subject", 255)
    sms = parse_fields(
        SendChannel.TEXT_MESSAGE, subject=None, content="x" * 1_500 + "{{ firstName }}", html="{{"
    )
    assert sms.render(ERIKA) == {"content": "x" * 1_500 + "Erika"}  # html: none on a text message
    assert sms.render(Member(LONG_NAME, "x", "S")) == TooLong("content", 1_600)
    with pytest.raises(RenderedTooLong) as caught:
        sms.render_or_refuse(Member(LONG_NAME, "x", "S"))
    assert (caught.value.reference, caught.value.args_for_message["limit"]) == ("content", 1_600)
    with pytest.raises(RenderedTooLong) as caught:  # over the limit whatever the member
        parse_fields(SendChannel.TEXT_MESSAGE, subject=None, content="x" * 1_601, html=None)
    assert caught.value.reference == "content"


# ---- through the API: one rendering path --------------------------------------------------------

MIXED = {
    "subject": "{{firstName}} at {{ studioName }}",
    "content": "Hi {{ firstName }} {{ lastName }} { literal } }} — {{ studioName }}",
    "html": "<p>{{ firstName }} &amp; {{ lastName }}</p>",
}


def _texts(connection: Connection, studio_id: int) -> list[tuple[Any, ...]]:
    rows = connection.execute(
        text("SELECT customer_id, subject, content, html FROM messages WHERE studio_id = :s ORDER BY id"),
        {"s": studio_id},
    )
    return [tuple(row) for row in rows]


def test_a_single_send_fills_in_placeholders_as_a_bulk_send_does(
    api: TestClient, worker: Worker, smtp: SmtpServer, db: Database, connection: Connection,
    clock: FixedClock, world: World,
) -> None:  # fmt: skip
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 1, now=clock.now, firstName="Zoë <3", lastName="{{ studioName }}")
    single = send(api, 1, **MIXED)
    bulk = api.post(
        "/v1/messages",
        json={"customerIds": [1], "messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL", **MIXED},
    )
    assert (bulk.status_code, bulk.json()["accepted"]) == (202, 1), bulk.text
    first, second = _texts(connection, world.studio_a)
    assert (
        first
        == second
        == (
            1,
            "Zoë <3 at Studio A",
            "Hi Zoë <3 {{ studioName }} { literal } }} — Studio A",
            "<p>Zoë &lt;3 &amp; {{ studioName }}</p>",
        )
    )
    # The single send's communication holds what the member gets (it reached them literally before).
    thread = api.get(f"/v1/communications/1/threads/{single['threadId']}").json()
    [communication] = thread["communications"]
    assert (communication["subject"], communication["content"]) == (first[1], first[2])
    worker.drain()
    subjects = sorted(a.mail["Subject"] for a in smtp.arrived)
    assert subjects == ["Zoë <3 at Studio A"] * 2
    plain = {a.mail.get_body(("plain",)).get_content().splitlines()[0] for a in smtp.arrived}
    assert plain == {"Hi Zoë <3 {{ studioName }} { literal } }} — Studio A"}


def test_a_single_send_with_anything_else_in_braces_is_400_and_stores_nothing(
    api: TestClient, connection: Connection, world: World
) -> None:
    for field, value in (("content", "Hi {{ name }}"), ("subject", "{% if x %}"), ("html", "{{ 1 }}")):
        response = api.post(
            "/v1/communications/1/messages",
            json={"messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL", **MIXED, field: value},
        )
        assert response.status_code == 400, response.text
        assert (response.json()["errorCode"], response.json()["reference"]) == ("TEMPLATE_INVALID", field)
    assert _texts(connection, world.studio_a) == []


def _counts(connection: Connection, studio_id: int) -> tuple[int, int, int]:
    def count(sql: str) -> int:
        return int(connection.execute(text(sql), {"s": studio_id}).scalar_one())

    return (
        count("SELECT COUNT(*) FROM messages WHERE studio_id = :s"),
        count("SELECT COUNT(*) FROM communication_threads WHERE studio_id = :s"),
        count("SELECT COUNT(*) FROM outbox WHERE studio_id = :s AND kind = 'message'"),
    )


def test_a_bulk_send_refuses_only_the_member_whose_rendering_is_too_long(
    api: TestClient, worker: Worker, smtp: SmtpServer, db: Database, connection: Connection,
    clock: FixedClock, world: World,
) -> None:  # fmt: skip
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 2, now=clock.now, firstName=LONG_NAME)
        make_customer(tx, world.studio_a, 3, now=clock.now, lastName=LONG_NAME)
    # Erika's content: 99,800 + 50; customer 2's: 99,800 + 2,000. Customer 3's subject: 5 + 200 + 51.
    body = {
        "customerIds": [1, 2, 3],
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "EMAIL",
        "subject": "{{ firstName }}{{ lastName }}" + "s" * 51,
        "content": "x" * 99_800 + "{{ firstName }}" * 10,
    }
    response = api.post("/v1/messages", json=body)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    assert response.json()["refused"] == [
        {"customerId": 2, "rule": "RENDERED_TOO_LONG"},
        {"customerId": 3, "rule": "RENDERED_TOO_LONG"},
    ]
    assert [row[0] for row in _texts(connection, world.studio_a)] == [1]
    assert _counts(connection, world.studio_a) == (1, 0, 1)
    worker.drain()
    assert [a.recipients[0] for a in smtp.arrived] == ["member1@example.org"]
    batch = api.get(f"/v1/messages/batches/{response.json()['batchId']}").json()
    assert (batch["accepted"], batch["refused"], batch["statusCounts"]) == (1, 2, {"SENT": 1})


def test_a_text_message_is_refused_per_member_over_its_provider_limit(
    api: TestClient, db: Database, connection: Connection, clock: FixedClock, world: World
) -> None:
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 7, now=clock.now, phoneNumber="+4915112345678")
        make_customer(tx, world.studio_a, 8, now=clock.now, firstName=LONG_NAME, phoneNumber="+4915112345679")
    body = {
        "customerIds": [7, 8],
        "messageCategory": "APPOINTMENT",
        "communicationChannel": "TEXT_MESSAGE",
        "content": "x" * 1_500 + "{{ firstName }}",
    }
    response = api.post("/v1/messages", json=body)
    assert response.json()["refused"] == [{"customerId": 8, "rule": "RENDERED_TOO_LONG"}], response.text
    single = {key: value for key, value in body.items() if key != "customerIds"}
    refused = api.post("/v1/communications/8/messages", json=single)
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "RENDERED_TOO_LONG")
    assert refused.json()["reference"] == "content"
    assert "1600" in refused.json()["errorMessage"]
    assert api.post("/v1/communications/7/messages", json=single).status_code == 202
    # Over the limit whatever the member: the request is wrong, for single and bulk alike.
    for path, json in (
        ("/v1/messages", {**body, "content": "x" * 1_601}),
        ("/v1/communications/7/messages", {**single, "content": "x" * 1_601}),
    ):
        answer = api.post(path, json=json)
        assert (answer.status_code, answer.json()["errorCode"]) == (400, "RENDERED_TOO_LONG"), path
    assert _counts(connection, world.studio_a) == (2, 1, 2)  # bulk 7, single 7: nothing else


def test_a_single_send_too_long_for_its_member_is_400_and_stores_nothing(
    api: TestClient, db: Database, connection: Connection, clock: FixedClock, world: World
) -> None:
    with db.transaction() as tx:
        make_customer(tx, world.studio_a, 2, now=clock.now, firstName=LONG_NAME, lastName=LONG_NAME)
    body = {"messageCategory": "APPOINTMENT", "communicationChannel": "EMAIL", "content": "Hi"}
    for field, value, limit in (
        ("subject", "{{ firstName }} {{ lastName }}", "255"),
        ("content", "c" * 99_900 + "{{ lastName }}", "100000"),
        ("html", "h" * 499_900 + "{{ firstName }}", "500000"),
    ):
        response = api.post("/v1/communications/2/messages", json={"subject": "S", **body, field: value})
        assert response.status_code == 400, response.text
        assert (response.json()["errorCode"], response.json()["reference"]) == ("RENDERED_TOO_LONG", field)
        assert limit in response.json()["errorMessage"]
        german = api.post(
            "/v1/communications/2/messages",
            json={"subject": "S", **body, field: value},
            headers={"Accept-Language": "de"},
        )
        assert "Zeichen" in german.json()["errorMessage"]
    assert _counts(connection, world.studio_a) == (0, 0, 0)
    # The same texts fit Erika (customer 1).
    assert (
        api.post("/v1/communications/1/messages", json={**body, "subject": "{{ firstName }}"}).status_code
        == 202
    )


def test_no_template_language_is_left_in_messages() -> None:
    """Jinja2 stays for the member pages (``web``); a message's text is never evaluated."""
    package = Path(studio_comms.messages.__file__).parent
    imported = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "").split(".")[0]
        for path in package.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "studio_comms" in imported  # the walk sees imports at all
    assert "jinja2" not in imported


def test_the_published_api_documents_the_placeholders_and_their_errors(
    openapi_document: dict[str, Any],
) -> None:
    paths = openapi_document["paths"]
    schemas = openapi_document["components"]["schemas"]
    for path, schema in (
        ("/v1/communications/{customerId}/messages", "MessageCreate"),
        ("/v1/messages", "BulkMessageCreate"),
    ):
        operation = paths[path]["post"]
        assert "400" in operation["responses"]
        for text_of_it in (operation["description"], schemas[schema]["properties"]["content"]["description"]):
            for name in PLACEHOLDERS:
                assert "{{ " + name + " }}" in text_of_it, (path, name)
            assert "TEMPLATE_INVALID" in text_of_it
        assert "RENDERED_TOO_LONG" in operation["description"]
    assert "RENDERED_TOO_LONG" in schemas["Refusal"]["properties"]["rule"]["description"]
