"""One pure ASGI middleware for what must happen before routing (cheaper than BaseHTTPMiddleware).

- every request gets a request id (``X-Request-Id`` in and out, ``traceId`` in errors);
- header fields are counted (431) and query strings capped (414); API request bodies are capped
  (413), must be JSON (415) and hold no NUL character (400 naming the field: PostgreSQL cannot
  store one), before any parsing;
- whatever escapes the app is answered here as an ``ErrorResponse`` (``core.handlers.answer``, the
  renderer FastAPI's handlers use too: a database fault as 503, 409 or 400, anything else as
  500), on a connection that stays open: Starlette's own last resort re-raises, and uvicorn then
  closes the client's keep-alive connection.
"""

from __future__ import annotations

from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studio_comms.core import metrics
from studio_comms.core.errors import (
    HeadersTooLarge,
    PayloadTooLarge,
    UnsupportedMediaType,
    UriTooLong,
)
from studio_comms.core.handlers import answer, error_response
from studio_comms.core.requestid import STATE_KEY, new_request_id
from studio_comms.core.validation import refuse_nul_characters
from studio_comms.settings import Settings

API_PREFIXES = ("/v1/", "/admin/")
# API routes whose body is a whole e-mail message as an MTA pipes it, not JSON.
RAW_MESSAGE_ROUTES = {"/admin/v1/mail-feedback": ("message/rfc822", "text/plain", "application/octet-stream")}
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.max_body_bytes = settings.max_body_bytes
        self.max_query_bytes = settings.max_query_bytes
        # `serve` bounds the bytes of the head while it arrives (studio_comms.server); the count
        # of header fields is checked here, where it costs one len().
        self.max_header_count = settings.max_header_count
        self.max_header_bytes = settings.max_header_bytes
        # Read once: ``serve`` and ``worker`` choose where metrics are counted before the app is made.
        self.metrics = metrics.current()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _wanted_headers(scope["headers"])
        request_id = new_request_id(headers.get("x-request-id"))
        scope.setdefault("state", {})[STATE_KEY] = request_id
        started = False
        status = 500
        began = perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                raw = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in raw):
                    raw.append((b"x-request-id", request_id.encode()))
                message["headers"] = raw
            await send(message)

        try:
            if len(scope["headers"]) > self.max_header_count:
                raise HeadersTooLarge(limit=self.max_header_bytes, count=self.max_header_count)
            if len(scope["query_string"]) > self.max_query_bytes:
                raise UriTooLong(limit=self.max_query_bytes)
            if scope["method"] in _BODY_METHODS and scope["path"].startswith(API_PREFIXES):
                receive = await self._checked_body(headers, receive, RAW_MESSAGE_ROUTES.get(scope["path"]))
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if started:
                raise  # half a response is out: only closing the connection can tell the client
            response = error_response(
                answer(error, scope),
                request_id=request_id,
                accept_language=headers.get("accept-language"),
            )
            status = response.status_code
            await response(scope, receive, send)
        finally:
            # Both lanes pass here; each router (FastAPI's, HotPaths) leaves the route in the scope.
            route = scope.get("route")
            self.metrics.request_timer(
                scope["method"], route.path if route is not None else metrics.UNMATCHED, status
            ).observe(perf_counter() - began)

    async def _checked_body(
        self, headers: dict[str, str], receive: Receive, raw_types: tuple[str, ...] | None
    ) -> Receive:
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            raise PayloadTooLarge(limit=self.max_body_bytes)
        # Read the whole (small) body now: a chunked upload has no Content-Length to check.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return replay_body(b"", receive, early=message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise PayloadTooLarge(limit=self.max_body_bytes)
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if raw_types is not None and _media(headers.get("content-type")) in raw_types:
            return replay_body(body, receive)
        if size and not _is_json(headers.get("content-type")):
            raise UnsupportedMediaType()
        # A JSON string can only hold NUL as the escape \u0000: a cheap scan of every body, and
        # the walk for the exact field only for the rare body that has one and credentials (a
        # request without is refused with 401 anyway).
        if b"\\u0000" in body and ("x-api-key" in headers or "authorization" in headers):
            refuse_nul_characters(body)
        return replay_body(body, receive)


_WANTED = frozenset(
    {b"x-request-id", b"accept-language", b"content-length", b"content-type", b"x-api-key", b"authorization"}
)


def _wanted_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The few headers read here, in one pass over the raw list (ASGI names are lower case);
    the first of repeated ones, as Starlette's ``Headers.get`` takes."""
    found: dict[str, str] = {}
    for name, value in raw:
        if name in _WANTED:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def _media(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = _media(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def replay_body(body: bytes, original: Receive, *, early: Message | None = None) -> Receive:
    """A ``receive`` that gives ``body`` (already read) once, then listens to ``original``."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if early is not None:
            return early
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body, the only thing left to hear about is the client going away.
        return await original()

    return receive
