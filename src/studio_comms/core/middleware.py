"""One pure ASGI middleware for what must happen before routing (cheaper than BaseHTTPMiddleware).

- every request gets a request id (``X-Request-Id`` in and out, ``traceId`` in errors);
- API request bodies are capped (413) and must be JSON (415), before any parsing.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from studio_comms.core.errors import AppError, PayloadTooLarge, UnsupportedMediaType
from studio_comms.core.handlers import error_response
from studio_comms.core.requestid import STATE_KEY, new_request_id

API_PREFIXES = ("/v1/", "/admin/")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = new_request_id(headers.get("x-request-id"))
        scope.setdefault("state", {})[STATE_KEY] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                if not any(name.lower() == b"x-request-id" for name, _ in raw):
                    raw.append((b"x-request-id", request_id.encode()))
                message["headers"] = raw
            await send(message)

        if scope["method"] in _BODY_METHODS and scope["path"].startswith(API_PREFIXES):
            try:
                receive = await self._checked_body(headers, receive)
            except AppError as error:
                response = error_response(
                    error, request_id=request_id, accept_language=headers.get("accept-language")
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send_with_id)

    async def _checked_body(self, headers: Headers, receive: Receive) -> Receive:
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
                return _replay(b"", receive, early=message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise PayloadTooLarge(limit=self.max_body_bytes)
            chunks.append(chunk)
            more = message.get("more_body", False)
        if size and not _is_json(headers.get("content-type")):
            raise UnsupportedMediaType()
        return _replay(b"".join(chunks), receive)


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _replay(body: bytes, original: Receive, *, early: Message | None = None) -> Receive:
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
