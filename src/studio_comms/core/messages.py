"""The message catalogue: one text per message key and language (``en``, ``de``).

Clients branch on ``errorCode``; these texts are for people and may change.
"""

from __future__ import annotations

from typing import Any

SUPPORTED_LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"

CATALOGUE: dict[str, dict[str, str]] = {
    "INTERNAL_ERROR": {
        "en": "An unexpected error occurred. Quote the traceId when you report it.",
        "de": "Ein unerwarteter Fehler ist aufgetreten. Bitte nennen Sie die traceId bei Rückfragen.",
    },
    "VALIDATION_FAILED": {
        "en": "The request is invalid.",
        "de": "Die Anfrage ist ungültig.",
    },
    "FORBIDDEN": {
        "en": "This request is not allowed.",
        "de": "Diese Anfrage ist nicht erlaubt.",
    },
    "ENTITY_NOT_FOUND": {
        "en": "The requested entity does not exist.",
        "de": "Das angefragte Objekt existiert nicht.",
    },
    "CONFLICT": {
        "en": "The request conflicts with the current state of the entity.",
        "de": "Die Anfrage steht im Widerspruch zum aktuellen Zustand des Objekts.",
    },
    "SERVICE_UNAVAILABLE": {
        "en": "The service cannot reach its database right now. Retry later.",
        "de": "Der Dienst erreicht seine Datenbank gerade nicht. Bitte später erneut versuchen.",
    },
    "VALUE_NOT_STORABLE": {
        "en": "The request holds a value that cannot be stored; check lengths, ranges and characters.",
        "de": "Die Anfrage enthält einen Wert, der nicht gespeichert werden kann; "
        "prüfen Sie Längen, Wertebereiche und Zeichen.",
    },
    "URI_TOO_LONG": {
        "en": "The query string exceeds {limit} bytes.",
        "de": "Der Query-String ist länger als {limit} Bytes.",
    },
    "HEADERS_TOO_LARGE": {
        "en": "The request line and headers exceed {limit} bytes or {count} header fields.",
        "de": "Request-Zeile und Header überschreiten {limit} Bytes oder {count} Header-Felder.",
    },
    "MALFORMED_JSON": {
        "en": "The request body is not valid JSON.",
        "de": "Der Request-Body ist kein gültiges JSON.",
    },
    "BODY_REQUIRED": {
        "en": "A JSON request body is required.",
        "de": "Ein JSON-Request-Body ist erforderlich.",
    },
    "FIELD_REQUIRED": {
        "en": "{field} is required.",
        "de": "{field} ist erforderlich.",
    },
    "FIELD_ENUM": {
        "en": "{field} must be one of: {allowed}.",
        "de": "{field} muss einer der folgenden Werte sein: {allowed}.",
    },
    "FIELD_TYPE": {
        "en": "{field} must be {expected}.",
        "de": "{field} muss vom Typ {expected} sein.",
    },
    "FIELD_RANGE": {
        "en": "{field} is out of range ({detail}).",
        "de": "{field} liegt außerhalb des erlaubten Bereichs ({detail}).",
    },
    "FIELD_LENGTH": {
        "en": "{field} has an invalid length ({detail}).",
        "de": "{field} hat eine ungültige Länge ({detail}).",
    },
    "FIELD_INVALID": {
        "en": "{field} is invalid: {detail}.",
        "de": "{field} ist ungültig: {detail}.",
    },
    "AUTHENTICATION_FAILED": {
        "en": "Missing or invalid API key (header X-API-KEY).",
        "de": "Fehlender oder ungültiger API-Schlüssel (Header X-API-KEY).",
    },
    "METRICS_AUTHENTICATION_FAILED": {
        "en": "Missing or invalid metrics token (header Authorization: Bearer).",
        "de": "Fehlendes oder ungültiges Metrik-Token (Header Authorization: Bearer).",
    },
    "ADMIN_AUTHENTICATION_FAILED": {
        "en": "Missing or invalid operator token (header Authorization: Bearer).",
        "de": "Fehlendes oder ungültiges Betreiber-Token (Header Authorization: Bearer).",
    },
    "MISSING_SCOPE": {
        "en": "The API key lacks the scope {scope}.",
        "de": "Dem API-Schlüssel fehlt der Scope {scope}.",
    },
    "ROUTE_NOT_FOUND": {
        "en": "There is no endpoint at {path}.",
        "de": "Unter {path} gibt es keinen Endpunkt.",
    },
    "METHOD_NOT_ALLOWED": {
        "en": "Method {method} is not allowed here.",
        "de": "Die Methode {method} ist hier nicht erlaubt.",
    },
    "PHONE_NUMBER_INVALID": {
        "en": "{number} is not a valid phone number (a local number needs the studio's country code).",
        "de": "{number} ist keine gültige Telefonnummer (eine lokale Nummer braucht den Ländercode "
        "des Studios).",
    },
    "SMS_SENDER_INVALID": {
        "en": "{sender} is neither a valid phone number nor a Messaging Service SID (MG…).",
        "de": "{sender} ist weder eine gültige Telefonnummer noch eine Messaging-Service-SID (MG…).",
    },
    "SMS_PROVIDER_NOT_CONFIGURED": {
        "en": "The studio has no SMS provider account.",
        "de": "Für das Studio ist kein SMS-Anbieterkonto eingerichtet.",
    },
    "SIGNATURE_INVALID": {
        "en": "The request's signature does not verify with the studio's provider account.",
        "de": "Die Signatur der Anfrage passt nicht zum Anbieterkonto des Studios.",
    },
    "CALLBACK_MALFORMED": {
        "en": "The body is not a form-encoded provider callback.",
        "de": "Der Inhalt ist kein formularkodierter Rückruf des Anbieters.",
    },
    "SMS_REPLY_NOT_FOUND": {
        "en": "The studio has no SMS reply {replyId}.",
        "de": "Das Studio hat keine SMS-Antwort {replyId}.",
    },
    "SMS_REPLY_DECIDED": {
        "en": "SMS reply {replyId} was {state} already; a decision cannot be changed.",
        "de": "Über die SMS-Antwort {replyId} wurde bereits entschieden ({state}); "
        "eine Entscheidung kann nicht geändert werden.",
    },
    "MAIL_PROVIDER_NOT_CONFIGURED": {
        "en": "The studio has no mail relay of this provider configured.",
        "de": "Für das Studio ist kein Mail-Relay dieses Anbieters eingerichtet.",
    },
    "MAIL_PROVIDER_KEY_INVALID": {
        "en": "The verification key is not a base64 DER public key on the P-256 curve.",
        "de": "Der Prüfschlüssel ist kein base64-kodierter DER-Public-Key auf der Kurve P-256.",
    },
    "MAIL_EVENT_UNAUTHENTICATED": {
        "en": "The request lacks the user name and password configured for the studio's mail relay.",
        "de": "Der Anfrage fehlen Benutzername und Passwort, die für das Mail-Relay des Studios "
        "eingerichtet sind.",
    },
    "MAIL_EVENT_SIGNATURE_INVALID": {
        "en": "The request's signature is missing, does not verify with the studio's mail relay key, "
        "is older than five minutes, or was used before.",
        "de": "Die Signatur der Anfrage fehlt, passt nicht zum Schlüssel des Mail-Relays des Studios, "
        "ist älter als fünf Minuten oder wurde schon verwendet.",
    },
    "MAIL_EVENT_MALFORMED": {
        "en": "The body is not the mail provider's JSON events.",
        "de": "Der Inhalt sind nicht die JSON-Ereignisse des Mail-Anbieters.",
    },
    "MAIL_FEEDBACK_MALFORMED": {
        "en": "The body is empty, a report without the fields RFC 3464 or RFC 5965 requires, or a "
        "message nested deeper than mail systems write.",
        "de": "Der Inhalt ist leer, ein Bericht ohne die Felder, die RFC 3464 oder RFC 5965 verlangt, "
        "oder eine Nachricht, die tiefer verschachtelt ist, als Mailsysteme schreiben.",
    },
    "CUSTOMER_NOT_FOUND": {
        "en": "Customer {customerId} not found.",
        "de": "Kunde {customerId} wurde nicht gefunden.",
    },
    "CUSTOMER_NUMBER_NOT_FOUND": {
        "en": "No customer has the customer number {customerNumber}.",
        "de": "Kein Kunde hat die Kundennummer {customerNumber}.",
    },
    "CUSTOMER_NUMBER_TAKEN": {
        "en": "Customer number {customerNumber} already belongs to customer {customerId}.",
        "de": "Die Kundennummer {customerNumber} gehört bereits Kunde {customerId}.",
    },
    "SEARCH_CRITERIA_MISSING": {
        "en": "Give at least one of: {criteria}.",
        "de": "Mindestens eines angeben: {criteria}.",
    },
    "SEARCH_CRITERION_NOT_HELD": {
        "en": "studio-comms holds no {criterion} of customers; look them up by {criteria}.",
        "de": "studio-comms speichert kein {criterion} von Kunden; suchen Sie nach {criteria}.",
    },
    "STUDIO_NOT_FOUND": {
        "en": "Studio {studioId} not found.",
        "de": "Studio {studioId} wurde nicht gefunden.",
    },
    "API_KEY_NOT_FOUND": {
        "en": "API key {keyId} not found.",
        "de": "API-Schlüssel {keyId} wurde nicht gefunden.",
    },
    "SUPPRESSION_NOT_FOUND": {
        "en": "The customer has no block on {channel}.",
        "de": "Für den Kunden ist {channel} nicht gesperrt.",
    },
    "WEBHOOK_NOT_FOUND": {
        "en": "Webhook {webhookId} not found.",
        "de": "Webhook {webhookId} wurde nicht gefunden.",
    },
    "DELIVERY_NOT_FOUND": {
        "en": "Delivery {deliveryId} not found.",
        "de": "Zustellung {deliveryId} wurde nicht gefunden.",
    },
    "WEBHOOK_URL_NOT_ALLOWED": {
        "en": "This URL cannot receive webhooks: {detail}.",
        "de": "Diese URL kann keine Webhooks empfangen: {detail}.",
    },
    "WEBHOOK_DISABLED": {
        "en": "Webhook {webhookId} is disabled; set its status to ACTIVE first.",
        "de": "Webhook {webhookId} ist deaktiviert; setzen Sie zuerst den Status ACTIVE.",
    },
    "DELIVERY_PENDING": {
        "en": "Delivery {deliveryId} is still pending; it can be sent again once it has finished.",
        "de": "Zustellung {deliveryId} ist noch ausstehend; erneut senden geht erst nach ihrem Abschluss.",
    },
    "THREAD_NOT_FOUND": {
        "en": "Communication thread {threadId} not found.",
        "de": "Kommunikationsverlauf {threadId} wurde nicht gefunden.",
    },
    "MESSAGE_NOT_PERMITTED": {
        "en": "The customer's preferences do not permit {category} messages by {channel} (rule {rule}); "
        "nothing was queued. studio-comms never sends against the preferences.",
        "de": "Die Präferenzen des Kunden erlauben keine {category}-Nachrichten per {channel} "
        "(Regel {rule}); nichts wurde eingereiht. studio-comms sendet nie gegen die Präferenzen.",
    },
    "CUSTOMER_HAS_NO_ADDRESS": {
        "en": "Customer {customerId} has no address for {channel} (an e-mail address or a phone number).",
        "de": "Kunde {customerId} hat keine Adresse für {channel} (E-Mail-Adresse oder Telefonnummer).",
    },
    "MESSAGE_NOT_FOUND": {
        "en": "Message {messageId} not found.",
        "de": "Nachricht {messageId} wurde nicht gefunden.",
    },
    "MESSAGE_BATCH_NOT_FOUND": {
        "en": "Bulk request {batchId} not found.",
        "de": "Sammelauftrag {batchId} wurde nicht gefunden.",
    },
    "QUIET_HOURS_REPEATED": {
        "en": "{category} has quiet hours more than once: give each category one window.",
        "de": "{category} hat mehr als eine Ruhezeit: jede Kategorie hat höchstens ein Zeitfenster.",
    },
    "QUIET_HOURS_NOT_ALLOWED": {
        "en": "{category} messages are never deferred: they cannot have quiet hours.",
        "de": "{category}-Nachrichten werden nie zurückgehalten: für sie gibt es keine Ruhezeiten.",
    },
    "TEMPLATE_INVALID": {
        "en": "At character {position}: `{{{{`, `{{%` and `{{#` may only start a placeholder, written "
        "`{{{{ name }}}}` with a name of {allowed}.",
        "de": "An Zeichen {position}: `{{{{`, `{{%` und `{{#` dürfen nur einen Platzhalter beginnen, "
        "geschrieben `{{{{ Name }}}}` mit einem Namen aus {allowed}.",
    },
    "TEMPLATE_UNKNOWN_PLACEHOLDER": {
        "en": "`{name}` is not a placeholder; the placeholders are {allowed}.",
        "de": "`{name}` ist kein Platzhalter; Platzhalter sind {allowed}.",
    },
    "MARKETING_FLAG_NOT_ALLOWED": {
        "en": "{category} messages are never marketing and carry no unsubscribe headers: only GENERAL "
        "messages may say `marketing`; leave it out (or false).",
        "de": "{category}-Nachrichten sind nie Werbung und tragen keine Abmelde-Header: nur "
        "GENERAL-Nachrichten dürfen `marketing` angeben; lassen Sie es weg (oder false).",
    },
    "MARKETING_FLAG_ALWAYS": {
        "en": "{category} messages are always marketing and carry the one-click unsubscribe headers: "
        "only GENERAL messages may say `marketing`; leave it out (or true).",
        "de": "{category}-Nachrichten sind immer Werbung und tragen die Ein-Klick-Abmelde-Header: nur "
        "GENERAL-Nachrichten dürfen `marketing` angeben; lassen Sie es weg (oder true).",
    },
    "RENDERED_TOO_LONG": {
        "en": "{field} is longer than {limit} characters with its placeholders filled in.",
        "de": "{field} ist mit eingesetzten Platzhaltern länger als {limit} Zeichen.",
    },
    "COMMUNICATION_NOT_PERMITTED": {
        "en": "The customer's preferences do not permit {category} messages by {channel} (rule {rule}); "
        "nothing was stored (consent enforcement REJECT). Not a concurrent modification: do not retry.",
        "de": "Die Präferenzen des Kunden erlauben keine {category}-Nachrichten "
        "per {channel} (Regel {rule}); nichts wurde gespeichert (Einwilligungsprüfung REJECT). "
        "Kein gleichzeitiger Zugriff: eine Wiederholung hilft nicht.",
    },
    "REQUEST_ID_MISMATCH": {
        "en": "requestId and the Idempotency-Key header differ; send one of them, or both equal.",
        "de": "requestId und der Header Idempotency-Key unterscheiden sich; "
        "senden Sie nur einen oder beide gleich.",
    },
    "DUPLICATE_CATEGORY": {
        "en": "Message category {category} appears more than once.",
        "de": "Die Nachrichtenkategorie {category} kommt mehrfach vor.",
    },
    "DUPLICATE_CHANNEL": {
        "en": "Channel {channel} appears more than once in category {category}.",
        "de": "Der Kanal {channel} kommt in der Kategorie {category} mehrfach vor.",
    },
    "CHANNEL_NOT_OFFERED": {
        "en": "The studio does not offer {channel} for {category}.",
        "de": "Das Studio bietet {channel} für {category} nicht an.",
    },
    "CHANNEL_NOT_OVERRIDABLE": {
        "en": "{channel} for {category} is set by the studio; the customer cannot change it.",
        "de": "{channel} für {category} legt das Studio fest; der Kunde kann es nicht ändern.",
    },
    "CHANNEL_SUPPRESSED": {
        "en": "{channel} is blocked for this customer ({reason}) and cannot be activated.",
        "de": "{channel} ist für diesen Kunden gesperrt ({reason}) und kann nicht aktiviert werden.",
    },
    "CUSTOMER_ERASED": {
        "en": "Customer {customerId} was erased; no member links can be issued.",
        "de": "Kunde {customerId} wurde gelöscht; es können keine Links für ihn erstellt werden.",
    },
    "IDEMPOTENCY_KEY_REUSED": {
        "en": "This Idempotency-Key was already used for a different request.",
        "de": "Dieser Idempotency-Key wurde bereits für eine andere Anfrage verwendet.",
    },
    "IDEMPOTENCY_KEY_IN_USE": {
        "en": "A request with this Idempotency-Key is still being processed; retry shortly.",
        "de": "Eine Anfrage mit diesem Idempotency-Key wird noch verarbeitet; bitte gleich erneut versuchen.",
    },
    "CONCURRENT_MODIFICATION": {
        "en": "The entity was modified by another request at the same time; retry.",
        "de": "Der Datensatz wurde gleichzeitig von einer anderen Anfrage geändert; bitte erneut versuchen.",
    },
    "PAYLOAD_TOO_LARGE": {
        "en": "The request body exceeds {limit} bytes.",
        "de": "Der Request-Body ist größer als {limit} Bytes.",
    },
    "UNSUPPORTED_MEDIA_TYPE": {
        "en": "Send the request body as application/json.",
        "de": "Senden Sie den Request-Body als application/json.",
    },
    "RATE_LIMITED": {
        "en": "Rate limit exceeded for this endpoint; retry in {retryAfter} seconds.",
        "de": "Ratenlimit für diesen Endpunkt überschritten; erneut versuchen in {retryAfter} Sekunden.",
    },
}


# Real browsers send a few dozen bytes; only this much of the header is read, so parsing it stays
# cheap whatever a client sends (it is parsed before authentication, on every error).
MAX_ACCEPT_LANGUAGE = 256


def preferred_language(accept_language: str | None) -> str | None:
    """The first supported language by quality in ``Accept-Language`` (``de-AT`` → ``de``), else None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language[:MAX_ACCEPT_LANGUAGE].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    return next((base for q, _, base in sorted(ranked) if q < 0 and base in SUPPORTED_LANGUAGES), None)


def pick_language(accept_language: str | None) -> str:
    return preferred_language(accept_language) or DEFAULT_LANGUAGE


def render(key: str, language: str, args: dict[str, Any]) -> str:
    texts = CATALOGUE.get(key) or CATALOGUE["INTERNAL_ERROR"]
    template = texts.get(language) or texts[DEFAULT_LANGUAGE]
    try:
        return template.format(**args)
    except (KeyError, IndexError):
        # A missing placeholder value must never turn an error response into a crash.
        return texts[DEFAULT_LANGUAGE]
