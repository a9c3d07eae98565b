"""The entry point of every API request (``/v1`` and ``/admin/v1``): authenticate, limit, run one
unit of work, commit.

All database work of a request happens in one unit of work, run where the route declares
(``core.units``: on the event loop on SQLite for a quick unit, else in one database-thread call, so
a request costs at most one thread hop; docs/benchmarks.md). The commit happens before the
response exists, so a failed commit can never be answered with a success.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.responses import Response

from studio_comms.api.hot import FAST_CONTEXT
from studio_comms.apikeys.service import authenticate
from studio_comms.core.audit import Audit, ChangeSource, audit_of
from studio_comms.core.auth import Principal, Scope
from studio_comms.core.errors import (
    AdminUnauthenticated,
    MissingScope,
    RequestIdMismatch,
    Unauthenticated,
)
from studio_comms.core.requestid import request_id_of
from studio_comms.core.runtime import Runtime
from studio_comms.core.secrets import holds_secrets
from studio_comms.db.tx import Tx
from studio_comms.idempotency import service as idempotency
from studio_comms.idempotency.service import StoredResponse

admin_bearer = HTTPBearer(scheme_name="OperatorToken", auto_error=False)
_READ_METHODS = {"GET", "HEAD"}
MAX_KEY = idempotency.MAX_KEY_LENGTH


@dataclass(frozen=True, slots=True)
class Reply:
    """A result with a status other than 200 (201 Created, 204 No Content)."""

    body: Any
    status: int


def to_json(result: Any) -> bytes:
    if isinstance(result, bytes):
        return result  # already the wire's JSON (the hot reads build it directly)
    if isinstance(result, BaseModel):
        return result.model_dump_json(exclude_none=True).encode()
    if isinstance(result, list):
        return b"[" + b",".join(to_json(item) for item in result) + b"]"
    raise TypeError(f"cannot serialise {type(result).__name__}")


def _stored(result: Any) -> StoredResponse:
    if isinstance(result, Reply):
        body = b"" if result.body is None else to_json(result.body)
        return StoredResponse(result.status, body, secret=holds_secrets(result.body))
    return StoredResponse(200, to_json(result), secret=holds_secrets(result))


def _respond(stored: StoredResponse, *, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    if stored.status == 204:
        return Response(status_code=204, headers=headers)
    return Response(stored.body, stored.status, headers=headers, media_type="application/json")


class RequestContext:
    """What every entry point needs from the request, resolved before the body is worked on."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.runtime: Runtime = request.app.state.runtime
        self.now: datetime = self.runtime.clock()
        self.write = request.method not in _READ_METHODS
        self.request_id = request_id_of(request.scope)

    def _transaction(self, *, on_loop: bool) -> AbstractContextManager[Tx]:
        return self.runtime.database.unit(write=self.write, on_loop=on_loop)

    def _reading(self, *, on_loop: bool) -> AbstractContextManager[Tx]:
        return self.runtime.database.reading(on_loop=on_loop)

    def _unit_of_work(self, work: Callable[[Tx], Any], *, on_loop: bool) -> StoredResponse:
        with self._transaction(on_loop=on_loop) as tx:
            return _stored(work(tx))


class ApiContext(RequestContext):
    def __init__(
        self, request: Request, api_key: str, scope: Scope | None, idempotency_key: str | None
    ) -> None:
        super().__init__(request)
        self.api_key = api_key
        self.required_scope = scope
        self.idempotency_key = idempotency_key if self.write else None
        self._principal: Principal | None = None

    def adopt_request_id(self, request_id: str | None) -> str | None:
        """A body's ``requestId`` is an alias of ``Idempotency-Key``; when both are sent they must agree.

        Returns the id the change is stored under: the client's key, else our request id.
        """
        if request_id is not None:
            if self.idempotency_key is not None and self.idempotency_key != request_id:
                raise RequestIdMismatch(reference="requestId")
            self.idempotency_key = request_id
        return self.idempotency_key or self.request_id

    def audit(self, principal: Principal) -> Audit:
        return audit_of(
            self.request,
            source=ChangeSource.API_KEY,
            actor=principal.actor,
            # The client's own idempotency key is the id it can find the change by.
            request_id=self.idempotency_key or self.request_id,
        )

    async def run_read(self, work: Callable[[Tx, Principal], Any]) -> Response:
        """For the hottest reads: statements without a transaction of their own (``Database.read``).

        Where it runs is the route's declaration (``core.units``, ``Runtime.unit_of_work``).
        """
        await self._count_off_thread()
        return _respond(await self.runtime.unit_of_work(self.request.scope, self._read, work))

    def _read(self, work: Callable[[Tx, Principal], Any], *, on_loop: bool) -> StoredResponse:
        with self._reading(on_loop=on_loop) as tx:
            return _stored(work(tx, self._authorize(tx)))

    async def run(self, work: Callable[[Tx, Principal], Any]) -> Response:
        """``work`` in one unit of work with the key's idempotency; where it runs is the route's
        declaration (``core.units``, ``Runtime.unit_of_work``)."""
        await self._count_off_thread()
        body = await self.request.body() if self.idempotency_key else b""
        stored, replayed = await self.runtime.unit_of_work(self.request.scope, self._run, work, body)
        return _respond(stored, replayed=replayed)

    async def authorize(self) -> Principal:
        """Check key, scope and rate limit now, before slow work outside the database (the
        request's unit of work then reuses the result instead of counting the request twice)."""
        if self._principal is None:
            self._principal = await self.runtime.unit_of_work(
                self.request.scope, self._authorize_on_read_connection
            )
            if self.runtime.limiter.shared:
                await self.runtime.limiter.hit_off_thread(self._principal.key_id, self._endpoint())
        return self._principal

    async def _count_off_thread(self) -> None:
        """With a shared (Redis) limiter, authenticate and count before the unit of work: the
        round trip to Redis must not hold a database thread. (An in-memory count costs nothing
        and is made inside the unit of work, in its one thread hop.)"""
        if self.runtime.limiter.shared:
            await self.authorize()

    def _authorize_on_read_connection(self, *, on_loop: bool) -> Principal:
        with self._reading(on_loop=on_loop) as tx:
            return self._authorize(tx)

    def _authorize(self, tx: Tx) -> Principal:
        if self._principal is not None:
            return self._principal
        principal = self.runtime.principals.get(self.api_key)
        if principal is None:
            principal = authenticate(tx, self.api_key)
            self.runtime.principals.put(self.api_key, principal)
        if self.required_scope is not None and self.required_scope not in principal.scopes:
            raise MissingScope(scope=self.required_scope.value)
        if not self.runtime.limiter.shared:
            self.runtime.limiter.hit(principal.key_id, self._endpoint())
        # Kept: a unit of work run again on a thread (``WouldWait``) must not count twice.
        self._principal = principal
        return principal

    def _endpoint(self) -> str:
        scope = self.request.scope
        route = scope.get("route")
        return f"{scope['method']} {getattr(route, 'path', scope['path'])}"

    def _run(
        self, work: Callable[[Tx, Principal], Any], body: bytes, *, on_loop: bool
    ) -> tuple[StoredResponse, bool]:
        key = self.idempotency_key
        if key is None:
            return self._unit_of_work(lambda tx: work(tx, self._authorize(tx)), on_loop=on_loop), False
        fingerprint = idempotency.fingerprint(self.request.method, self.request.url.path, body)
        ttl = timedelta(seconds=self.runtime.settings.idempotency_ttl_seconds)
        with self._transaction(on_loop=on_loop) as tx:
            principal = self._authorize(tx)
            replay = idempotency.begin(tx, principal.key_id, key, fingerprint, now=self.now, ttl=ttl)
            if replay is not None:
                return replay, True
            stored = _stored(work(tx, principal))
            idempotency.record(tx, principal.key_id, key, fingerprint, stored, now=self.now)
            return stored, False


class AdminContext(RequestContext):
    async def run(self, work: Callable[[Tx], Any]) -> Response:
        response = _respond(await self.runtime.unit_of_work(self.request.scope, self._unit_of_work, work))
        if self.write:
            # An operator's change may revoke a key or change a studio: this process forgets the
            # principals it remembered now (other processes within PrincipalCache's second).
            self.runtime.principals.clear()
        return response


class _ApiKeyContext(APIKeyHeader):
    """A ``/v1`` route's key dependency: documented as the ``ApiKeyAuth`` scheme (it is one), and
    in the same single call it makes the request's :class:`ApiContext`, so FastAPI resolves one
    dependency per request instead of a chain (a fifth of a GET's CPU went to resolving them)."""

    def __init__(self, scope: Scope | None) -> None:
        super().__init__(name="X-API-KEY", scheme_name="ApiKeyAuth", auto_error=False)
        self.required_scope = scope

    async def __call__(self, request: Request) -> ApiContext:  # type: ignore[override]
        # A missing key fails before the body is validated; a wrong one when it is looked up.
        context = self.fast_context(request)
        if context is None:
            raise Unauthenticated()
        return context

    def fast_context(self, request: Request) -> ApiContext | None:
        """For ``api.hot``: the context, or None (no key: the regular path answers 401)."""
        api_key = request.headers.get("x-api-key")
        if not api_key:
            return None
        return ApiContext(request, api_key, self.required_scope, None)


def api_reader(scope: Scope | None) -> Callable[..., Any]:
    """Dependency for a reading ``/v1`` route needing ``scope`` (``None``: any valid key)."""
    return _ApiKeyContext(scope)


def api_writer(scope: Scope | None) -> Callable[..., Any]:
    """Dependency for a writing ``/v1`` route: as :func:`api_reader`, plus ``Idempotency-Key``."""
    keyed = _ApiKeyContext(scope)

    # ``keyed`` as a default, not in the annotation: annotations are strings here, read in the
    # module's namespace, where this closure's local does not exist.
    async def dependency(
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=idempotency.MAX_KEY_LENGTH,
                description="Retrying a write with the same key within 24 h returns the first "
                "response instead of applying the write twice.",
            ),
        ] = None,
        ctx: ApiContext = Depends(keyed),
    ) -> ApiContext:
        ctx.idempotency_key = idempotency_key if ctx.write else None
        return ctx

    def fast_context(request: Request) -> ApiContext | None:
        """For ``api.hot``: as ``dependency``, or None where FastAPI must check the header."""
        ctx = keyed.fast_context(request)
        idempotency_key = request.headers.get("idempotency-key")
        if ctx is None or (idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY):
            return None
        ctx.idempotency_key = idempotency_key if ctx.write else None
        return ctx

    setattr(dependency, FAST_CONTEXT, fast_context)
    return dependency


async def admin_context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(admin_bearer)],
) -> AdminContext:
    expected = request.app.state.runtime.settings.admin_token
    given = credentials.credentials if credentials else ""
    if (
        expected is None
        or not expected.get_secret_value()
        or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode())
    ):
        raise AdminUnauthenticated(headers={"WWW-Authenticate": "Bearer"})
    return AdminContext(request)
