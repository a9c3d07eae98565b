"""Rendering member pages: Jinja2 with autoescape, strict security headers, our own CSS only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

from studio_comms.web.texts import text

_HERE = Path(__file__).resolve().parent
_environment = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_CSS = (_HERE / "static" / "prefcenter.css").read_bytes()

# No script at all, styles and forms only from us, never framed; the token in the URL must not
# leak to other sites through Referer, nor the page into shared caches. ("no-referrer" would also
# make browsers send "Origin: null" on our own form posts, which the origin check must refuse.)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


class PageError(Exception):
    """Ends a page request with a friendly message page (never a stack trace)."""

    def __init__(self, status: int, title_key: str, body_key: str, **args: str) -> None:
        super().__init__(title_key)
        self.status = status
        self.title_key = title_key
        self.body_key = body_key
        self.message_args = args


def render(template: str, *, status: int = 200, root: str, language: str, **context: Any) -> Response:
    html = _environment.get_template(template).render(root=root, lang=language, **context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def render_error(error: PageError, *, root: str, language: str) -> Response:
    return render(
        "message.html",
        status=error.status,
        root=root,
        language=language,
        title=text(error.title_key, language),
        message=text(error.body_key, language, **error.message_args),
        studio=None,
        link=None,
    )


assets = APIRouter(include_in_schema=False)


@assets.get("/assets/prefcenter.css")
async def stylesheet() -> Response:
    return Response(
        _CSS,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
