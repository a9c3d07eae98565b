"""What the member reads, in English and German, and which version of it they read.

``TEXT_VERSION`` is stored with every change a member makes (consent proof): raise it whenever a
text here or a template changes what the member is told (a test guards this with a fingerprint).
"""

from __future__ import annotations

from studio_comms.core.messages import SUPPORTED_LANGUAGES, preferred_language
from studio_comms.core.vocabulary import CommunicationChannel, MessageCategory

TEXT_VERSION = "prefcenter-2026-12-08.1"

CATEGORIES: dict[MessageCategory, dict[str, str]] = {
    MessageCategory.CONTRACT: {"en": "Contract", "de": "Vertrag"},
    MessageCategory.GENERAL: {"en": "General information", "de": "Allgemeine Informationen"},
    MessageCategory.APPOINTMENT: {"en": "Appointments", "de": "Termine"},
    MessageCategory.NEWSLETTER: {"en": "Newsletter", "de": "Newsletter"},
    MessageCategory.LOYALTY_PROGRAM: {"en": "Loyalty programme", "de": "Treueprogramm"},
}

CHANNELS: dict[CommunicationChannel, dict[str, str]] = {
    CommunicationChannel.LETTER: {"en": "Letter", "de": "Brief"},
    CommunicationChannel.EMAIL: {"en": "Email", "de": "E-Mail"},
    CommunicationChannel.TEXT_MESSAGE: {"en": "SMS", "de": "SMS"},
    CommunicationChannel.PHONE: {"en": "Phone", "de": "Telefon"},
    CommunicationChannel.FAX: {"en": "Fax", "de": "Fax"},
    CommunicationChannel.CONVERSATION: {"en": "In person", "de": "Persönlich"},
    CommunicationChannel.CHAT: {"en": "Chat", "de": "Chat"},
    CommunicationChannel.OTHER: {"en": "Other", "de": "Sonstige"},
}

BLOCK_REASONS: dict[str, dict[str, str]] = {
    "HARD_BOUNCE": {"en": "blocked: the address is unreachable", "de": "gesperrt: Adresse nicht erreichbar"},
    "SMS_STOP": {"en": "blocked: you replied STOP", "de": "gesperrt: Sie haben STOP geantwortet"},
    "OPERATOR": {"en": "blocked by the studio", "de": "vom Studio gesperrt"},
    "ERASED": {"en": "blocked", "de": "gesperrt"},
    "BOUNCED": {"en": "blocked: the address is unreachable", "de": "gesperrt: Adresse nicht erreichbar"},
    "COMPLAINED": {
        "en": "blocked: you reported our mail as spam",
        "de": "gesperrt: Sie haben unsere E-Mail als Spam gemeldet",
    },
    "SOFT_BOUNCED": {
        "en": "paused: our e-mails to you kept coming back; tick to receive them again",
        "de": "pausiert: unsere E-Mails an Sie kamen wiederholt zurück; "
        "Häkchen setzen, um sie wieder zu erhalten",
    },
}

TEXTS: dict[str, dict[str, str]] = {
    "title": {"en": "Communication preferences", "de": "Kommunikationseinstellungen"},
    "intro": {
        "en": "Choose how {studio} may contact you. Tick a box to allow a channel, clear it to stop it.",
        "de": "Wählen Sie, wie {studio} Sie kontaktieren darf. Ein Häkchen erlaubt den Kanal, "
        "ohne Häkchen wird er abbestellt.",
    },
    "studio_enforced": {"en": "set by the studio", "de": "vom Studio festgelegt"},
    "review": {"en": "Review changes", "de": "Änderungen prüfen"},
    "confirm_title": {"en": "Please confirm your changes", "de": "Bitte bestätigen Sie Ihre Änderungen"},
    "confirm_intro": {
        "en": "Only these channels will change; everything else stays as it is:",
        "de": "Nur diese Kanäle werden geändert, alles andere bleibt wie es ist:",
    },
    "change": {"en": "{category} by {channel}: {value}", "de": "{category} per {channel}: {value}"},
    "on": {"en": "on", "de": "an"},
    "off": {"en": "off", "de": "aus"},
    "confirm": {"en": "Confirm", "de": "Bestätigen"},
    "back": {"en": "Back without saving", "de": "Zurück ohne zu speichern"},
    "saved": {"en": "Your choices were saved.", "de": "Ihre Auswahl wurde gespeichert."},
    "unchanged": {"en": "You did not change anything.", "de": "Sie haben nichts geändert."},
    "unsubscribe_title": {"en": "Unsubscribe?", "de": "Abmelden?"},
    "unsubscribe_intro": {
        "en": "{studio} will no longer send you {category} by {channel}.",
        "de": "{studio} schickt Ihnen dann keine Nachrichten der Art „{category}“ mehr per {channel}.",
    },
    "unsubscribe_button": {"en": "Unsubscribe", "de": "Abmelden"},
    "unsubscribed_title": {"en": "You are unsubscribed", "de": "Sie sind abgemeldet"},
    "unsubscribed": {
        "en": "{studio} will no longer send you {category} by {channel}.",
        "de": "{studio} schickt Ihnen keine Nachrichten der Art „{category}“ mehr per {channel}.",
    },
    "manage": {"en": "Manage all your communication preferences", "de": "Alle Einstellungen verwalten"},
    "not_overridable_title": {
        "en": "This cannot be switched off here",
        "de": "Dies kann hier nicht abbestellt werden",
    },
    "not_overridable": {
        "en": "{studio} needs to reach you about {category} by {channel}, for example for your "
        "contract. Please contact the studio if you have questions.",
        "de": "{studio} muss Sie zu „{category}“ per {channel} erreichen können, etwa wegen Ihres "
        "Vertrags. Bei Fragen wenden Sie sich bitte an das Studio.",
    },
    "invalid_title": {"en": "This link is not valid", "de": "Dieser Link ist ungültig"},
    "invalid": {
        "en": "Please check that you opened the whole link from your message, or ask your studio for a "
        "new one.",
        "de": "Bitte prüfen Sie, ob Sie den vollständigen Link aus Ihrer Nachricht geöffnet haben, oder "
        "bitten Sie Ihr Studio um einen neuen.",
    },
    "expired_title": {"en": "This link has expired", "de": "Dieser Link ist abgelaufen"},
    "expired": {
        "en": "Please ask your studio for a new link.",
        "de": "Bitte bitten Sie Ihr Studio um einen neuen Link.",
    },
    "revoked_title": {"en": "This link is no longer valid", "de": "Dieser Link gilt nicht mehr"},
    "forbidden_title": {
        "en": "The form could not be verified",
        "de": "Das Formular konnte nicht geprüft werden",
    },
    "forbidden": {
        "en": "It may have been open for too long. Nothing was changed. Please open the page again.",
        "de": "Es war vielleicht zu lange geöffnet. Es wurde nichts geändert. Bitte öffnen Sie die "
        "Seite erneut.",
    },
    "bad_request_title": {"en": "The request was incomplete", "de": "Die Anfrage war unvollständig"},
    "conflict_title": {
        "en": "Your changes could not be saved",
        "de": "Ihre Änderungen konnten nicht gespeichert werden",
    },
    "conflict": {
        "en": "The studio changed its settings in the meantime. Nothing was saved; please review your "
        "choices again.",
        "de": "Das Studio hat seine Einstellungen inzwischen geändert. Es wurde nichts gespeichert; "
        "bitte prüfen Sie Ihre Auswahl erneut.",
    },
    "error_title": {"en": "Something went wrong", "de": "Etwas ist schiefgelaufen"},
    "error": {"en": "Please try again later.", "de": "Bitte versuchen Sie es später erneut."},
}


def text(key: str, language: str, **args: str) -> str:
    template = TEXTS[key].get(language) or TEXTS[key]["en"]
    return template.format(**args) if args else template


def category_label(category: MessageCategory, language: str) -> str:
    return CATEGORIES[category][language]


def channel_label(channel: CommunicationChannel, language: str) -> str:
    return CHANNELS[channel][language]


def block_reason(reason: str | None, language: str) -> str:
    return BLOCK_REASONS.get(reason or "OPERATOR", BLOCK_REASONS["OPERATOR"])[language]


def choose_language(
    *, link: str | None, customer: str | None, accept_language: str | None, studio: str | None
) -> str:
    """The link's language, else the customer's, else the browser's, else the studio's, else English."""
    for candidate in (link, _base(customer), preferred_language(accept_language), _base(studio)):
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return "en"


def _base(language: str | None) -> str | None:
    return language.lower().split("-")[0].split("_")[0] if language else None
