"""The entry point of a member page request: verify the link, run one transaction, render.

A page request commits through ``Database.transaction`` inside the worker thread, so the commit
has happened (or failed, and the member sees an error page) before any response exists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from starlette.responses import Response

from studio_comms.core.audit import Audit, ChangeSource, audit_of
from studio_comms.core.errors import ServiceUnavailable
from studio_comms.core.messages import pick_language
from studio_comms.core.requestid import request_id_of
from studio_comms.core.runtime import Runtime
from studio_comms.db.tx import Tx
from studio_comms.links.secret import LazySigner
from studio_comms.links.service import LinkRevoked
from studio_comms.links.tokens import LinkClaims, LinkPurpose, LinkSigner, TokenExpired, TokenInvalid
from studio_comms.web.member import MemberView
from studio_comms.web.render import PageError, render_error
from studio_comms.web.texts import choose_language

T = TypeVar("T")
log = logging.getLogger("studio_comms.web")
MAX_FORM_BYTES = 16 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


class Page:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.runtime: Runtime = request.app.state.runtime
        self.now: datetime = self.runtime.clock()
        self.public_url = self.runtime.settings.public_base_url
        self.root = urlsplit(self.public_url).path.rstrip("/")
        # Until the link's customer is known, error pages speak the browser's language.
        self.language = pick_language(request.headers.get("accept-language"))

    def speak_to(self, claims: LinkClaims, view: MemberView) -> str:
        """From now on, the member's language (see ``texts.choose_language``)."""
        self.language = choose_language(
            link=claims.language,
            customer=view.customer_language,
            accept_language=self.request.headers.get("accept-language"),
            studio=view.studio_language,
        )
        return self.language

    @property
    def signer(self) -> LinkSigner:
        lazy: LazySigner = self.request.app.state.link_signer
        return lazy.get()

    def claims(self, token: str, purpose: LinkPurpose) -> LinkClaims:
        try:
            return self.signer.verify(token, purpose, now=self.now)
        except TokenExpired as error:
            raise PageError(410, "expired_title", "expired") from error
        except TokenInvalid as error:
            raise PageError(400, "invalid_title", "invalid") from error

    async def in_transaction(self, work: Callable[[Tx], T], *, write: bool) -> T:
        return await self.runtime.in_db_thread(self._transaction, work, write)

    def _transaction(self, work: Callable[[Tx], T], write: bool) -> T:
        with self.runtime.database.transaction(write=write) as tx:
            return work(tx)

    def audit(self, source: ChangeSource, claims: LinkClaims, text_version: str) -> Audit:
        return audit_of(
            self.request,
            source=source,
            actor=f"customer:{claims.customer_id}",
            request_id=request_id_of(self.request.scope),
            text_version=text_version,
        )

    async def form(self) -> dict[str, list[str]]:
        """The urlencoded body (what a form without JavaScript sends), bounded in size."""
        media = (self.request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if media != FORM_TYPE:
            raise PageError(400, "bad_request_title", "invalid")
        body = await self.body()
        try:
            return parse_qs(body.decode(), keep_blank_values=True, max_num_fields=200)
        except ValueError as error:  # invalid UTF-8, too many fields
            raise PageError(400, "bad_request_title", "invalid") from error

    async def body(self) -> bytes:
        """The request body, read only up to ``MAX_FORM_BYTES`` (a bigger one is refused, not buffered)."""
        body = b""
        async for chunk in self.request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise PageError(400, "bad_request_title", "invalid")
        return body

    def require_same_origin(self) -> None:
        """Browsers name where a form came from; refuse posts from any other site."""
        origin = self.request.headers.get("origin")
        allowed = {_origin(self.public_url), _origin(str(self.request.base_url))}
        if origin is not None and origin not in allowed:
            raise PageError(403, "forbidden_title", "forbidden")
        site = self.request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            raise PageError(403, "forbidden_title", "forbidden")

    async def respond(self, handler: Callable[[], Awaitable[Response]]) -> Response:
        try:
            return await handler()
        except PageError as error:
            return render_error(error, root=self.root, language=self.language)
        except LinkRevoked:
            revoked = PageError(410, "revoked_title", "expired")
            return render_error(revoked, root=self.root, language=self.language)
        except ServiceUnavailable as error:
            # The database is away for a moment (Runtime.in_db_thread logged why): try again soon.
            response = render_error(
                PageError(503, "error_title", "error"), root=self.root, language=self.language
            )
            response.headers.update(error.headers)
            return response
        except Exception:
            # The route's template, not the URL: the URL holds the member's token.
            route = getattr(self.request.scope.get("route"), "path", "?")
            log.exception("member page failed: %s %s", self.request.method, route)
            failure = PageError(500, "error_title", "error")
            return render_error(failure, root=self.root, language=self.language)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
