"""One-click unsubscribe (RFC 8058) for one category and channel.

``POST`` with ``List-Unsubscribe=One-Click`` switches the channel off at once and answers 200
without a redirect: mail providers post it themselves, without cookies or any form token, so the
signed link alone authorizes it (the RFC's design). ``GET`` only shows a page with a button, so
link scanners that fetch every URL in a message unsubscribe nobody.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from starlette.responses import Response

from studio_comms.core.audit import ChangeSource
from studio_comms.db.tx import Tx
from studio_comms.links.tokens import LinkClaims, LinkPurpose
from studio_comms.preferences.errors import ChannelNotOffered, ChannelNotOverridable
from studio_comms.preferences.rules import Rule, Slot
from studio_comms.web.member import MemberView, apply_changes, load_view
from studio_comms.web.page import Page
from studio_comms.web.render import PageError, render
from studio_comms.web.texts import TEXT_VERSION, category_label, channel_label, text

router = APIRouter(include_in_schema=False)
# What the ledger says the member saw when the mail client (not our page) offered the unsubscribe.
MAIL_CLIENT_TEXT_VERSION = "rfc8058-one-click"
PREFERENCE_LINK_DAYS = 30


def _slot(claims: LinkClaims) -> Slot:
    assert claims.category is not None
    assert claims.channel is not None
    return claims.category, claims.channel


def _names(view: MemberView, claims: LinkClaims, language: str) -> dict[str, str]:
    category, channel = _slot(claims)
    return {
        "studio": view.studio_name,
        "category": category_label(category, language),
        "channel": channel_label(channel, language),
    }


def _manage_link(page: Page, claims: LinkClaims, language: str) -> dict[str, str]:
    expires_at = min(claims.expires_at, page.now + timedelta(days=PREFERENCE_LINK_DAYS))
    preferences = LinkClaims(
        LinkPurpose.PREFERENCES, claims.studio_id, claims.customer_id, claims.epoch, expires_at
    )
    href = f"{page.root}/preferences/{page.signer.sign(preferences)}"
    return {"href": href, "text": text("manage", language)}


def _message(
    page: Page, view: MemberView, claims: LinkClaims, title: str, body: str, status: int
) -> Response:
    language = page.language
    return render(
        "message.html",
        status=status,
        root=page.root,
        language=language,
        title=text(title, language),
        studio=view.studio_name,
        message=text(body, language, **_names(view, claims, language)),
        link=_manage_link(page, claims, language),
    )


@router.get("/unsubscribe/{token}")
async def confirm_unsubscribe(token: str, request: Request) -> Response:
    page = Page(request)

    async def handle() -> Response:
        claims = page.claims(token, LinkPurpose.UNSUBSCRIBE)
        view = await page.in_transaction(lambda tx: load_view(tx, claims), write=False)
        language = page.speak_to(claims, view)
        decision = view.state.decide(*_slot(claims))
        if not decision.permitted:
            return _message(page, view, claims, "unsubscribed_title", "unsubscribed", 200)
        if decision.rule is Rule.STUDIO_ENFORCED:
            return _message(page, view, claims, "not_overridable_title", "not_overridable", 200)
        return render(
            "unsubscribe.html",
            root=page.root,
            language=language,
            title=text("unsubscribe_title", language),
            studio=view.studio_name,
            message=text("unsubscribe_intro", language, **_names(view, claims, language)),
            action=f"{page.root}/unsubscribe/{token}",
            text_version=TEXT_VERSION,
            button=text("unsubscribe_button", language),
            link=_manage_link(page, claims, language),
        )

    return await page.respond(handle)


def _one_click(content_type: str, body: bytes) -> tuple[bool, str | None]:
    """Whether the body says ``List-Unsubscribe=One-Click``, and the text version our page sent."""
    media = content_type.split(";")[0].strip().lower()
    if media == "multipart/form-data":
        # RFC 8058 allows multipart; the one field we need is easy to recognise without a parser.
        return b'name="List-Unsubscribe"' in body and b"One-Click" in body, None
    try:
        fields = parse_qs(body.decode(), max_num_fields=20)
    except ValueError:
        return False, None
    version = fields.get("textVersion", [None])[0]
    return fields.get("List-Unsubscribe") == ["One-Click"], version


@router.post("/unsubscribe/{token}")
async def unsubscribe(token: str, request: Request) -> Response:
    page = Page(request)

    async def handle() -> Response:
        claims = page.claims(token, LinkPurpose.UNSUBSCRIBE)
        body = await page.body()
        one_click, version = _one_click(request.headers.get("content-type") or "", body)
        if not one_click:
            raise PageError(400, "bad_request_title", "invalid")
        shown = TEXT_VERSION if version == TEXT_VERSION else MAIL_CLIENT_TEXT_VERSION
        audit = page.audit(ChangeSource.UNSUBSCRIBE_LINK, claims, shown)

        def work(tx: Tx) -> MemberView:
            # A channel the studio no longer offers: nothing is sent there anyway.
            with suppress(ChannelNotOffered):
                apply_changes(tx, claims, {_slot(claims): False}, audit=audit, now=page.now)
            return load_view(tx, claims)

        try:
            view = await page.in_transaction(work, write=True)
        except ChannelNotOverridable:
            view = await page.in_transaction(lambda tx: load_view(tx, claims), write=False)
            page.speak_to(claims, view)
            return _message(page, view, claims, "not_overridable_title", "not_overridable", 409)
        page.speak_to(claims, view)
        return _message(page, view, claims, "unsubscribed_title", "unsubscribed", 200)

    return await page.respond(handle)
