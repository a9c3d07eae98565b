"""What we text back to a member's HELP / INFO / HILFE: who is texting them and how to reach them.

Carriers (CTIA) expect a HELP answer naming the programme and a contact, and how to stop. The
contact is the studio's information as the operator set it (``PUT /v1/studios/information``,
``studios.service.get_information``): the studio's name, then its ``telephone``, ``email`` and
``website``, each only if set. The language is the member's (``customers.language``), else the
studio's; German for ``de``, English otherwise. Plain GSM-7 characters where the language allows,
so the answer stays one or two segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    telephone: str | None = None
    email: str | None = None
    website: str | None = None


_PARTS = {
    "en": {"telephone": "call {}", "email": "e-mail {}", "website": "{}"},
    "de": {"telephone": "Tel. {}", "email": "E-Mail {}", "website": "{}"},
}
_HELP = {
    "en": "{name}: for help, {contact}. Reply STOP to stop text messages.",
    "de": "{name}: Hilfe erhalten Sie {contact}. Antworten Sie STOP, um keine SMS mehr zu erhalten.",
}
_LEAD = {"en": "", "de": "unter "}
_NO_CONTACT = {"en": "please ask us at the studio", "de": "im Studio"}


def help_text(contact: Contact, language: str | None) -> str:
    lang = "de" if language == "de" else "en"
    parts = [
        _PARTS[lang][field].format(value.strip())
        for field, value in (
            ("telephone", contact.telephone),
            ("email", contact.email),
            ("website", contact.website),
        )
        if value and value.strip()
    ]
    return _HELP[lang].format(
        name=contact.name, contact=_LEAD[lang] + ", ".join(parts) if parts else _NO_CONTACT[lang]
    )


def twiml(message: str | None) -> bytes:
    """Twilio's answer to an incoming message: texts ``message`` back to the sender, or nothing."""
    inner = f"<Message>{escape(message)}</Message>" if message else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'.encode()
