"""Our ``/openapi.json`` publishes the compatible operations (the four communication ones and the
two studio ones) as the official spec does.

The expected facts below are written from the official Sport Alliance Open API 1.5.0 document
(the file itself is not part of the project): an SDK generated from our document must line up
with one generated from the official spec — same operations and parameters, same schema names,
same property names and types, enums written inline where the official spec inlines them.
Extensions are additive and listed here by name, so a new one is a deliberate choice.
"""

from __future__ import annotations

from typing import Any

import pytest

INT64 = ("integer", "int64")
STRING = ("string", None)
BOOLEAN = ("boolean", None)
DATE_TIME = ("string", "date-time")
DATE = ("string", "date")
INT32 = ("integer", "int32")
DOUBLE = ("number", "double")
DAY = ("enum", ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"))
THREAD_STATUS = ("enum", ("CREATED", "ONGOING", "CLOSED"))
DIRECTION = ("enum", ("INCOMING", "OUTGOING"))
CHANNEL = ("enum", ("LETTER", "EMAIL", "TEXT_MESSAGE", "PHONE", "FAX", "CONVERSATION", "CHAT", "OTHER"))
CATEGORY = ("enum", ("CONTRACT", "GENERAL", "APPOINTMENT", "NEWSLETTER", "LOYALTY_PROGRAM"))
ARGUMENT_TYPE = (
    "enum",
    (
        "TIMESTAMP", "BOOLEAN", "DATE", "MONTH_DAY", "TIME", "TERM", "TERM_LIST", "INTEGER", "DECIMAL",
        "STRING", "MONEY", "LIMITABLE_CONFIG_PROPERTY", "I18N_KEY", "I18N_KEY_LIST", "PERMISSION_LIST",
        "ENUM", "AVAILABILITY_LIST",
    ),
)  # fmt: skip


def ref(name: str) -> tuple[str, str]:
    return ("ref", name)


def array(item: object) -> tuple[str, object]:
    return ("array", item)


# name -> (required, official properties, our extension properties)
SCHEMAS: dict[str, tuple[list[str] | None, dict[str, object], dict[str, object]]] = {
    "CommunicationThreadRequest": (
        ["communicationChannel", "communicationDirection", "communicationThreadStatus", "content", "subject"],
        {
            "communicationThreadStatus": THREAD_STATUS,
            "ticketNumber": STRING,
            "subject": STRING,
            "content": STRING,
            "communicationDirection": DIRECTION,
            "ticketLink": STRING,
            "communicationChannel": CHANNEL,
            "agent": STRING,
            "communicationDateTime": DATE_TIME,
        },
        {"messageCategory": CATEGORY, "requestId": STRING},
    ),
    "CommunicationThreadResponse": (
        [
            "communicationChannel",
            "communicationDirection",
            "communicationId",
            "communicationThreadStatus",
            "content",
            "customerId",
            "subject",
            "threadId",
        ],
        {
            "customerId": INT64,
            "communicationId": INT64,
            "threadId": INT64,
            "communicationThreadStatus": THREAD_STATUS,
            "ticketNumber": STRING,
            "subject": STRING,
            "content": STRING,
            "communicationDirection": DIRECTION,
            "ticketLink": STRING,
            "communicationChannel": CHANNEL,
            "agent": STRING,
        },
        {
            "messageCategory": CATEGORY,
            "communicationDateTime": DATE_TIME,
            "requestId": STRING,
            "authorization": ref("AuthorizationReceipt"),
        },
    ),
    "CommunicationPreference": (
        None,
        {"messageCategory": CATEGORY, "channels": array(ref("CommunicationChannelWrapper"))},
        {},
    ),
    "CommunicationChannelWrapper": (
        ["communicationChannel"],
        {"communicationChannel": CHANNEL, "customerOverridable": BOOLEAN, "active": BOOLEAN},
        {},
    ),
    "ErrorResponse": (
        ["errorMessage"],
        {
            "errorMessage": STRING,
            "errorCode": STRING,
            "traceId": STRING,
            "args": array(("object", None)),
            "typedArgs": array(ref("TypedArgumentDto")),
            "reference": STRING,
        },
        {},
    ),
    "TypedArgumentDto": (None, {"value": ("object", None), "type": ARGUMENT_TYPE}, {}),
    "StudioInformation": (
        ["accessCodeConfiguration", "studioId"],
        {
            "name": STRING,
            "description": STRING,
            "country": STRING,
            "countryCode": ("string", "ISO 3166-1"),
            "studioId": INT64,
            "openingDate": DATE,
            "closingDate": DATE,
            "email": STRING,
            "logoUrl": STRING,
            "telephone": STRING,
            "website": STRING,
            "openingHours": array(ref("StudioOpeningHours")),
            "publicOpeningHours": array(ref("StudioOpeningHours")),
            "closingHours": array(ref("StudioClosingHours")),
            "street": STRING,
            "houseNumber": STRING,
            "zip": STRING,
            "city": STRING,
            "accessCodeConfiguration": ref("StudioAccessCodeConfiguration"),
            "location": ref("StudioLocation"),
            "studioTags": array(ref("Tag")),
        },
        {},
    ),
    "StudioOpeningHours": (
        None,
        {
            "dayOfWeekFrom": DAY,
            "dayOfWeekTo": DAY,
            "timeFrom": ref("LocalTime"),
            "timeTo": ref("LocalTime"),
        },
        {},
    ),
    "LocalTime": (None, {"hour": INT32, "minute": INT32, "second": INT32, "nano": INT32}, {}),
    "StudioClosingHours": (None, {"reason": STRING, "dateTimeFrom": DATE_TIME, "dateTimeTo": DATE_TIME}, {}),
    "StudioAccessCodeConfiguration": (None, {"enabled": BOOLEAN}, {}),
    "StudioLocation": (None, {"longitude": DOUBLE, "latitude": DOUBLE}, {}),
    "Tag": (["name"], {"name": STRING}, {}),
}

ERRORS = {"400", "401", "403", "404", "409", "429", "500"}
# Answered before routing, documented on every operation (the official spec leaves them out).
EDGE = {"414", "431"}
CUSTOMER_ID = ("customerId", "path", True, INT64)
THREAD_ID = ("threadId", "path", True, INT64)
IDEMPOTENCY_KEY = ("Idempotency-Key", "header", False, STRING)
CONSENT_ENFORCEMENT = ("Consent-Enforcement", "header", False, ref("ConsentEnforcement"))
PREFERENCES = "/v1/communications/{customerId}/communication-preferences"
THREADS = "/v1/communications/{customerId}/threads"
THREAD = "/v1/communications/{customerId}/threads/{threadId}"
STUDIO_INFORMATION = "/v1/studios/information"
CONFIRM_ACTIVATION = "/v1/studios/confirmActivation"

# (method, path) -> operationId, official parameters, request body, 200 body (None: no content),
# extension parameters, extension statuses (ours answer them; the official spec leaves them out)
OPERATIONS: dict[tuple[str, str], tuple[str, list[object], object, object, list[object], set[str]]] = {
    ("get", PREFERENCES): (
        "getCommunicationPreferences",
        [CUSTOMER_ID],
        None,
        array(ref("CommunicationPreference")),
        [],
        set(),
    ),
    ("put", PREFERENCES): (
        "updateCommunicationPreferences",
        [CUSTOMER_ID],
        array(ref("CommunicationPreference")),
        array(ref("CommunicationPreference")),
        [IDEMPOTENCY_KEY],
        {"413", "415"},
    ),
    ("post", THREADS): (
        "createCommunicationInNewCommunicationThread",
        [CUSTOMER_ID],
        ref("CommunicationThreadRequest"),
        ref("CommunicationThreadResponse"),
        [CONSENT_ENFORCEMENT, IDEMPOTENCY_KEY],
        {"413", "415"},
    ),
    ("put", THREAD): (
        "createCommunicationInExistingCommunicationThread",
        [CUSTOMER_ID, THREAD_ID],
        ref("CommunicationThreadRequest"),
        ref("CommunicationThreadResponse"),
        [CONSENT_ENFORCEMENT, IDEMPOTENCY_KEY],
        {"413", "415"},
    ),
    ("get", STUDIO_INFORMATION): ("getStudioInformation", [], None, ref("StudioInformation"), [], set()),
    ("post", CONFIRM_ACTIVATION): ("confirmActivation", [], None, None, [IDEMPOTENCY_KEY], {"413", "415"}),
}

# Our extensions on the same paths.
EXTENSION_OPERATIONS = {
    ("get", THREADS): "listCommunicationThreads",
    ("get", THREAD): "getCommunicationThread",
}


def shape(schema: dict[str, Any]) -> object:
    """What a generator makes of a schema: a reference, an array of something, an inline enum, a type."""
    if "$ref" in schema:
        return ref(schema["$ref"].rsplit("/", 1)[1])
    assert "anyOf" not in schema, schema
    if "enum" in schema:
        assert schema["type"] == "string", schema
        return ("enum", tuple(schema["enum"]))
    if schema.get("type") == "array":
        return array(shape(schema["items"]))
    return (schema["type"], schema.get("format"))


@pytest.mark.parametrize("name", SCHEMAS)
def test_compatible_schemas_have_the_official_names_fields_types_and_required_lists(
    openapi_document: dict[str, Any], name: str
) -> None:
    required, official, extensions = SCHEMAS[name]
    schema = openapi_document["components"]["schemas"][name]
    assert schema["type"] == "object"
    assert sorted(schema.get("required", [])) == sorted(required or [])
    properties = {field: shape(value) for field, value in schema["properties"].items()}
    assert properties == {**official, **extensions}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_compatible_operations_have_the_official_shape(
    openapi_document: dict[str, Any], method: str, path: str
) -> None:
    operation_id, parameters, body, ok, extra_parameters, extra_statuses = OPERATIONS[(method, path)]
    operation = openapi_document["paths"][path][method]
    assert operation["operationId"] == operation_id
    assert operation["tags"] == ["Studios" if path.startswith("/v1/studios/") else "Customers Communication"]
    assert "security" not in operation  # the document's API key requirement applies, as in the official
    published = [
        (p["name"], p["in"], p["required"], shape(p["schema"])) for p in operation.get("parameters", [])
    ]
    assert published == parameters + extra_parameters
    if body is None:
        assert "requestBody" not in operation
    else:
        assert operation["requestBody"]["required"] is True
        assert shape(operation["requestBody"]["content"]["application/json"]["schema"]) == body
    responses = operation["responses"]
    assert set(responses) == {"200"} | ERRORS | EDGE | extra_statuses
    if ok is None:
        assert "content" not in responses["200"]
    else:
        assert shape(responses["200"]["content"]["application/json"]["schema"]) == ok
    for status in ERRORS | EDGE | extra_statuses:
        assert shape(responses[status]["content"]["application/json"]["schema"]) == ref("ErrorResponse")
    published_methods = {m: o["operationId"] for m, o in openapi_document["paths"][path].items()}
    expected = {m: OPERATIONS[(m, p)][0] for m, p in OPERATIONS if p == path}
    expected |= {m: op_id for (m, p), op_id in EXTENSION_OPERATIONS.items() if p == path}
    assert published_methods == expected  # the POST alias of PUT on a thread works, unadvertised
