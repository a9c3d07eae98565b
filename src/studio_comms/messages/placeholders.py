"""Placeholders in a message's text, replaced by a member's values: not a template language.

A text may name ``{{ firstName }}``, ``{{ lastName }}`` and ``{{ studioName }}`` (spaces or tabs
inside the braces optional). Nothing is evaluated: the text is split once into literal parts and
names (one compiled expression whose character classes cannot backtrack into each other, so the
split is linear in the text), and a member's rendering joins the parts with that member's values,
inserted as they are (a value holding ``{{ … }}`` is not read again). ``{{`` opens a placeholder
and nothing else; ``{%`` and ``{#`` (the statements and comments of the template language this
replaced) are refused too, so a text written for it never reaches members half-rendered. Any
other braces are literal text.

Single and bulk sends both call :func:`parse_fields` on the request and :meth:`Templates.render`
per member: one rendering path. A rendered field is checked against its limit per member
(:func:`limits`): the length is counted from the parts before anything is joined, so a short text
with many placeholders costs no more than its limit to refuse.
"""

from __future__ import annotations

import html as html_text
import re
from collections import Counter
from dataclasses import dataclass
from itertools import chain

from studio_comms.messages.errors import RenderedTooLong, TemplateInvalid
from studio_comms.messages.schemas import (
    CONTENT_MAX_LENGTH,
    HTML_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    TEXT_MESSAGE_MAX_LENGTH,
    SendChannel,
)

PLACEHOLDERS = ("firstName", "lastName", "studioName")

# Where something in braces starts: a placeholder, or the old language's statement or comment.
_OPENING = re.compile(r"\{[{%#]")
# Blanks, a name, blanks: disjoint classes, so a failed match gives up after one scan of them.
_PLACEHOLDER = re.compile(r"\{\{[ \t]*([A-Za-z][A-Za-z0-9_]*)[ \t]*\}\}")
# A name that looks like one is quoted in the refusal (a typo); anything else only by position.
_QUOTABLE = 40


@dataclass(frozen=True, slots=True)
class Member:
    """The values a member's rendering inserts."""

    first_name: str
    last_name: str
    studio_name: str

    def values(self) -> dict[str, str]:
        return {"firstName": self.first_name, "lastName": self.last_name, "studioName": self.studio_name}


class Template:
    """A field's text split into literal parts (even indexes) and placeholder names (odd ones)."""

    __slots__ = ("_counts", "_literals", "_names", "escape", "field", "literal_length", "parts")

    def __init__(self, field: str, parts: tuple[str, ...], escape: bool = False) -> None:
        self.field = field
        self.parts = parts
        # In ``html`` the values are HTML-escaped; the literal parts are the partner's HTML as given.
        self.escape = escape
        self._literals = parts[::2]
        self._names = parts[1::2]
        self.literal_length = sum(len(part) for part in self._literals)
        self._counts = tuple(Counter(self._names).items())

    def length(self, values: dict[str, str]) -> int:
        """The rendering's length in characters, counted without making it."""
        return self.literal_length + sum(count * len(values[name]) for name, count in self._counts)

    def render(self, values: dict[str, str]) -> str:
        if not self._names:
            return self.parts[0]
        # literal, value, literal, …, literal: one join (10,000 members a request: kept in C).
        inserted = zip(self._literals, map(values.__getitem__, self._names), strict=False)
        return "".join(chain.from_iterable(inserted)) + self._literals[-1]


def parse(field: str, source: str, *, escape: bool = False) -> Template:
    """Split ``source``; raises ``TemplateInvalid`` (400, ``reference`` the field) for anything in
    braces that is not a placeholder."""
    parts: list[str] = []
    position = 0
    while (opening := _OPENING.search(source, position)) is not None:
        start = opening.start()
        match = _PLACEHOLDER.match(source, start)
        if match is None or match.group(1) not in PLACEHOLDERS:
            raise _invalid(field, start, match)
        parts += [source[position:start], match.group(1)]
        position = match.end()
    parts.append(source[position:])
    return Template(field, tuple(parts), escape)


def _invalid(field: str, start: int, match: re.Match[str] | None) -> TemplateInvalid:
    allowed = ", ".join(PLACEHOLDERS)
    name = match.group(1) if match is not None else None
    if name is not None and len(name) <= _QUOTABLE:
        return TemplateInvalid(
            reference=field, message_key="TEMPLATE_UNKNOWN_PLACEHOLDER", name=name, allowed=allowed
        )
    return TemplateInvalid(reference=field, position=start + 1, allowed=allowed)


@dataclass(frozen=True, slots=True)
class TooLong:
    """A field over its limit once a member's values are filled in."""

    field: str
    limit: int


@dataclass(frozen=True, slots=True)
class Templates:
    """A send's fields, parsed once for all its members, with their limits on the channel."""

    channel: SendChannel
    fields: tuple[tuple[Template, int], ...]

    def render(self, member: Member) -> dict[str, str] | TooLong:
        """The member's fields (those the send has), or the first one over its limit: counted
        before anything is joined."""
        plain = member.values()
        escaped: dict[str, str] | None = None
        chosen: list[tuple[Template, dict[str, str]]] = []
        for template, limit in self.fields:
            values = plain
            if template.escape:
                escaped = escaped or {name: html_text.escape(value) for name, value in plain.items()}
                values = escaped
            if template.length(values) > limit:
                return TooLong(template.field, limit)
            chosen.append((template, values))
        return {template.field: template.render(values) for template, values in chosen}

    def render_or_refuse(self, member: Member) -> dict[str, str]:
        """As :meth:`render`; a field over its limit is ``RenderedTooLong`` (400) naming it."""
        rendered = self.render(member)
        if isinstance(rendered, TooLong):
            raise RenderedTooLong(reference=rendered.field, field=rendered.field, limit=rendered.limit)
        return rendered


def parse_fields(channel: SendChannel, *, subject: str | None, content: str, html: str | None) -> Templates:
    """The send's fields parsed (``TemplateInvalid`` for the first that is not valid); ``html``
    only for e-mail (a text message has no HTML part and ignores it). A field over its limit
    whatever the member (its text without the placeholders) is ``RenderedTooLong`` for the
    request: no member's rendering could fit."""
    fields = [("subject", subject, False), ("content", content, False)]
    if channel is SendChannel.EMAIL:
        fields.append(("html", html, True))
    parsed = tuple(
        parse(field, source, escape=escape) for field, source, escape in fields if source is not None
    )
    limit_of = limits(channel)
    for template in parsed:
        if template.literal_length > limit_of[template.field]:
            raise RenderedTooLong(
                reference=template.field, field=template.field, limit=limit_of[template.field]
            )
    return Templates(channel, tuple((template, limit_of[template.field]) for template in parsed))


def limits(channel: SendChannel) -> dict[str, int]:
    """Each rendered field's most characters on the channel: what the tables, the timeline's
    record and the providers take (Twilio: 1,600 characters a message)."""
    content = TEXT_MESSAGE_MAX_LENGTH if channel is SendChannel.TEXT_MESSAGE else CONTENT_MAX_LENGTH
    return {"subject": SUBJECT_MAX_LENGTH, "content": content, "html": HTML_MAX_LENGTH}
