"""The preference center: see, change (review, confirm) and re-read one's preferences."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from studio_comms.core.audit import ChangeSource
from studio_comms.core.errors import Conflict, Invalid
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory
from studio_comms.db.tx import Tx
from studio_comms.links.tokens import LinkPurpose
from studio_comms.preferences.rules import Rule, Slot
from studio_comms.web.member import MemberView, apply_changes, load_view, planned_changes
from studio_comms.web.page import Page
from studio_comms.web.render import PageError, render
from studio_comms.web.texts import (
    TEXT_VERSION,
    block_reason,
    category_label,
    channel_label,
    text,
)

router = APIRouter(include_in_schema=False)


def slot_text(slot: Slot) -> str:
    return f"{slot[0].value}:{slot[1].value}"


def parse_slot(value: str) -> Slot:
    category, _, channel = value.partition(":")
    try:
        return MessageCategory(category), CommunicationChannel(channel)
    except ValueError as error:
        raise PageError(400, "bad_request_title", "invalid") from error


def parse_flags(values: list[str]) -> dict[Slot, bool]:
    flags: dict[Slot, bool] = {}
    for value in values:
        slot, _, flag = value.rpartition("=")
        if flag not in ("0", "1"):
            raise PageError(400, "bad_request_title", "invalid")
        flags[parse_slot(slot)] = flag == "1"
    return flags


def _categories(view: MemberView, language: str) -> list[dict[str, Any]]:
    categories = []
    for category, channels in view.state.effective():
        rows = []
        for channel in channels:
            decision = view.state.decide(category, channel.channel)
            reason = None
            if decision.rule is Rule.BLOCKED:
                reason = block_reason(decision.block_reason, language)
            elif not channel.customer_overridable:
                reason = text("studio_enforced", language)
            rows.append(
                {
                    "id": f"{category.value}-{channel.channel.value}".lower(),
                    "slot": slot_text((category, channel.channel)),
                    "label": channel_label(channel.channel, language),
                    "active": channel.active,
                    "reason": reason,
                    # A soft-bounce pause is explained but not locked: ticking it is the member's opt-in.
                    "locked": not channel.customer_overridable,
                }
            )
        categories.append({"label": category_label(category, language), "channels": rows})
    return categories


def _form_page(page: Page, token: str, view: MemberView, language: str, notice: str | None) -> Response:
    return render(
        "preferences.html",
        root=page.root,
        language=language,
        title=text("title", language),
        studio=view.studio_name,
        intro=text("intro", language, studio=view.studio_name),
        notice=notice,
        categories=_categories(view, language),
        action=f"{page.root}/preferences/{token}/review",
        csrf=page.signer.form_token(token, "review", now=page.now),
        button=text("review", language),
    )


@router.get("/preferences/{token}")
async def preference_center(token: str, request: Request, saved: str | None = None) -> Response:
    page = Page(request)

    async def handle() -> Response:
        claims = page.claims(token, LinkPurpose.PREFERENCES)
        view = await page.in_transaction(lambda tx: load_view(tx, claims), write=False)
        language = page.speak_to(claims, view)
        return _form_page(page, token, view, language, text("saved", language) if saved == "1" else None)

    return await page.respond(handle)


def _checked_form(page: Page, token: str, form: dict[str, list[str]], action: str) -> None:
    page.require_same_origin()
    csrf = form.get("csrf", [""])[0]
    if not page.signer.form_token_valid(csrf, token, action, now=page.now):
        raise PageError(403, "forbidden_title", "forbidden")


@router.post("/preferences/{token}/review")
async def review(token: str, request: Request) -> Response:
    """Step 1: show exactly what will change; nothing is written yet."""
    page = Page(request)

    async def handle() -> Response:
        claims = page.claims(token, LinkPurpose.PREFERENCES)
        form = await page.form()
        _checked_form(page, token, form, "review")
        shown = parse_flags(form.get("was", []))
        ticked = {parse_slot(value) for value in form.get("on", [])}
        view = await page.in_transaction(lambda tx: load_view(tx, claims), write=False)
        language = page.speak_to(claims, view)
        wanted = planned_changes(view.state, shown, ticked)
        if not wanted:
            return _form_page(page, token, view, language, text("unchanged", language))
        changes = [
            {
                "slot": slot_text(slot),
                "active": active,
                "text": text(
                    "change",
                    language,
                    category=category_label(slot[0], language),
                    channel=channel_label(slot[1], language),
                    value=text("on" if active else "off", language),
                ),
            }
            for slot, active in wanted.items()
        ]
        return render(
            "confirm.html",
            root=page.root,
            language=language,
            title=text("confirm_title", language),
            studio=view.studio_name,
            intro=text("confirm_intro", language),
            changes=changes,
            action=f"{page.root}/preferences/{token}/save",
            csrf=page.signer.form_token(token, "save", now=page.now),
            text_version=TEXT_VERSION,
            button=text("confirm", language),
            back={"href": f"{page.root}/preferences/{token}", "text": text("back", language)},
        )

    return await page.respond(handle)


@router.post("/preferences/{token}/save")
async def save(token: str, request: Request) -> Response:
    """Step 2: write the confirmed changes, then show the saved state as re-read (303 to the page)."""
    page = Page(request)

    async def handle() -> Response:
        claims = page.claims(token, LinkPurpose.PREFERENCES)
        page.language = claims.language or page.language
        form = await page.form()
        _checked_form(page, token, form, "save")
        if form.get("textVersion", [""])[0] != TEXT_VERSION:
            raise PageError(403, "forbidden_title", "forbidden")
        wanted = parse_flags(form.get("set", []))
        audit = page.audit(ChangeSource.PREFERENCE_CENTER, claims, TEXT_VERSION)

        def work(tx: Tx) -> None:
            if wanted:
                apply_changes(tx, claims, wanted, audit=audit, now=page.now)

        try:
            await page.in_transaction(work, write=True)
        except (Invalid, Conflict) as error:
            # The studio changed its settings (or blocked a channel) since the review.
            raise PageError(409, "conflict_title", "conflict") from error
        return RedirectResponse(f"{page.root}/preferences/{token}?saved=1", status_code=303)

    return await page.respond(handle)
