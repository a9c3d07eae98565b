"""Our ``/openapi.json`` publishes the compatible operations (the four communication ones, the
two studio ones and the four customer reads) as the official spec does.

The expected facts below are written from the official Sport Alliance Open API 1.5.0 document
(the file itself is not part of the project): an SDK generated from our document must line up
with one generated from the official spec — same operations and parameters, same schema names,
same property names and types, enums written inline where the official spec inlines them.
Extensions are additive and listed here by name, so a new one is a deliberate choice. Where we
publish fewer properties than the official schema (``Customer``: only what studio-comms holds), the
official properties left out are listed too (``LEFT_OUT``), so the facts stay complete.
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
CUSTOMER_STATUS = ("enum", ("MEMBER", "PROSPECT", "FORMER_MEMBER"))
STATUS_FILTER = ("enum", ("MEMBER", "PROSPECT"))
UUID = ("string", "uuid")
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
    # Customers (official tag "Customers"): what studio-comms holds of the official Customer.
    "Customer": (
        ["accessRefusal", "id", "status"],
        {
            "id": INT64,
            "customerNumber": STRING,
            "firstName": STRING,
            "lastName": STRING,
            "email": STRING,
            "status": CUSTOMER_STATUS,
            "phonePrivateMobile": STRING,
            "accessRefusal": BOOLEAN,
            "studioId": INT64,
            "preferredLanguage": ref("Language"),
        },
        {},
    ),
    "Language": (
        ["languageCode"],
        {"languageCode": ("string", "ISO 639-1"), "countryCode": ("string", "ISO 3166-1")},
        {},
    ),
    "CustomerSlicedResult": (
        ["hasNext", "offset", "result"],
        {"result": array(ref("Customer")), "hasNext": BOOLEAN, "offset": STRING},
        {},
    ),
    "CustomerSearchRequest": (
        None,
        {
            "firstName": STRING,
            "lastName": STRING,
            "email": STRING,
            "dateOfBirth": DATE,
            "cardNumberFormat": ref("CardNumberFormat"),
        },
        {},
    ),
}

# Official properties a schema leaves out: studio-comms holds no such data, and an optional
# property is left out rather than answered empty or invented.
LEFT_OUT: dict[str, set[str]] = {
    "Customer": {
        "dateOfBirth",
        "gender",
        "street",
        "houseNumber",
        "zipCode",
        "city",
        "country",
        "cardNumbers",
        "imageUrl",
        "phonePrivate",
        "phoneBusiness",
        "phoneBusinessMobile",
        "idlePeriods",
        "bankAccount",
        "accessRestrictions",
        "uuid",
        "referralCode",
        "additionalInformationFieldAssignments",
        "thirdPartyId",
        "accessMediums",
    },
}
# The official Customer has 30 properties: the held ones and the left-out ones, nothing else.
OFFICIAL_CUSTOMER_PROPERTY_COUNT = 30

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
CARD_NUMBER_FORMAT = ("cardNumberFormat", "query", False, ref("CardNumberFormat"))
CUSTOMERS = "/v1/customers"
CUSTOMER = "/v1/customers/{customerId}"
CUSTOMER_BY = "/v1/customers/by"
CUSTOMER_SEARCH = "/v1/customers/search"
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
    ("get", CUSTOMER): (
        "getCustomerById",
        [CUSTOMER_ID, CARD_NUMBER_FORMAT],
        None,
        ref("Customer"),
        [],
        set(),
    ),
    ("get", CUSTOMERS): (
        "getCustomers",
        [
            CARD_NUMBER_FORMAT,
            ("lastOffsetId", "query", False, INT64),
            ("offset", "query", False, STRING),
            ("sliceSize", "query", False, INT32),
            ("customerStatus", "query", False, STATUS_FILTER),
        ],
        None,
        ref("CustomerSlicedResult"),
        [],
        set(),
    ),
    ("get", CUSTOMER_BY): (
        "getCustomerBy",
        [
            ("cardNumber", "query", False, STRING),
            CARD_NUMBER_FORMAT,
            ("debtorId", "query", False, STRING),
            ("qrCodeUuid", "query", False, UUID),
            ("barcode", "query", False, STRING),
            ("customerNumber", "query", False, STRING),
        ],
        None,
        ref("Customer"),
        [],
        set(),
    ),
    ("post", CUSTOMER_SEARCH): (
        "searchCustomers",
        [],
        ref("CustomerSearchRequest"),
        array(ref("Customer")),
        [],
        {"413", "415"},
    ),
}
# (method, path) -> parameter -> (deprecated, default) as the official spec publishes them.
PARAMETER_FACTS: dict[tuple[str, str], dict[str, tuple[bool, object]]] = {
    ("get", CUSTOMER): {"cardNumberFormat": (False, "DECIMAL")},
    ("get", CUSTOMERS): {
        "cardNumberFormat": (False, "DECIMAL"),
        "lastOffsetId": (True, None),
        "offset": (False, None),
        "sliceSize": (False, 100),
        "customerStatus": (False, "MEMBER"),
    },
    ("get", CUSTOMER_BY): {
        "cardNumber": (False, None),
        "cardNumberFormat": (False, "DECIMAL"),
        "debtorId": (False, None),
        "qrCodeUuid": (True, None),
        "barcode": (False, None),
        "customerNumber": (False, None),
    },
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
    assert not set(properties) & LEFT_OUT.get(name, set())


def test_the_customer_publishes_the_official_properties_it_holds_and_leaves_the_others_out(
    openapi_document: dict[str, Any],
) -> None:
    published = set(openapi_document["components"]["schemas"]["Customer"]["properties"])
    assert len(published | LEFT_OUT["Customer"]) == OFFICIAL_CUSTOMER_PROPERTY_COUNT
    # Every required official property is published (they cannot be left out).
    assert {"accessRefusal", "id", "status"} <= published


def test_card_number_format_is_the_official_referenced_enum(openapi_document: dict[str, Any]) -> None:
    schema = openapi_document["components"]["schemas"]["CardNumberFormat"]
    assert (schema["type"], schema["enum"]) == ("string", ["DECIMAL", "HEX_MSB", "HEX_LSB"])
    request = openapi_document["components"]["schemas"]["CustomerSearchRequest"]
    assert request["properties"]["cardNumberFormat"]["default"] == "DECIMAL"


@pytest.mark.parametrize(("method", "path"), PARAMETER_FACTS)
def test_customer_parameters_have_the_official_defaults_and_deprecations(
    openapi_document: dict[str, Any], method: str, path: str
) -> None:
    operation = openapi_document["paths"][path][method]
    published = {
        p["name"]: (p.get("deprecated", False), p["schema"].get("default"))
        for p in operation["parameters"]
        if p["in"] == "query"
    }
    assert published == PARAMETER_FACTS[(method, path)]
    if path == CUSTOMERS:
        size = next(p["schema"] for p in operation["parameters"] if p["name"] == "sliceSize")
        assert (size["minimum"], size["maximum"]) == (50, 500)


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_compatible_operations_have_the_official_shape(
    openapi_document: dict[str, Any], method: str, path: str
) -> None:
    operation_id, parameters, body, ok, extra_parameters, extra_statuses = OPERATIONS[(method, path)]
    operation = openapi_document["paths"][path][method]
    assert operation["operationId"] == operation_id
    tag = "Studios" if path.startswith("/v1/studios/") else "Customers Communication"
    assert operation["tags"] == ["Customers" if path.startswith("/v1/customers") else tag]
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
