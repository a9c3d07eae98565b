"""Sending through Twilio's Programmable Messaging REST API, version 2010-04-01.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, a form body (``To``, ``From`` or
``MessagingServiceSid``, ``Body``, ``StatusCallback``), HTTP Basic auth with the Account SID and
auth token. Twilio answers 201 with the Message resource (``sid``, ``status``) or an error
resource (``code``, ``message``, ``status``). This module only speaks HTTP: whether a message may
be sent at all is decided before it is called (the messages worker).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from studio_comms.core.phone import NotAPhoneNumber, to_e164

PROVIDER = "TWILIO"
API_VERSION = "2010-04-01"
TWILIO_API = "https://api.twilio.com"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class SmsCredentials:
    provider: str
    account_sid: str
    # Never in a repr, so never in a log line or a traceback's locals.
    auth_token: str = field(repr=False)
    # An E.164 number of the account, or a Messaging Service SID (MG…).
    sender: str


class SmsSendFailed(Exception):
    """Twilio did not accept the message. ``retryable``: a later attempt may succeed (network
    trouble, 429, 5xx); otherwise it never will (a refused number, wrong credentials)."""

    def __init__(self, reason: str, *, retryable: bool, provider_code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.provider_code = provider_code


def messages_url(api_base_url: str, account_sid: str) -> str:
    return f"{api_base_url.rstrip('/')}/{API_VERSION}/Accounts/{account_sid}/Messages.json"


def send_sms(
    credentials: SmsCredentials,
    to: str,
    body: str,
    status_callback_url: str | None,
    *,
    api_base_url: str = TWILIO_API,
    client: httpx.Client | None = None,
) -> tuple[str, str]:
    """Hand one message to Twilio; returns its Message SID and Twilio's status (``queued`` …).

    ``to`` must be E.164 (customers' numbers are stored so). Raises ``SmsSendFailed``.
    """
    try:
        recipient = to_e164(to, None)
    except NotAPhoneNumber:
        raise SmsSendFailed("the recipient is not an E.164 phone number", retryable=False) from None
    form = {"To": recipient, "Body": body}
    # A Messaging Service picks the sender itself (number pools, alphanumeric IDs).
    form["MessagingServiceSid" if credentials.sender.startswith("MG") else "From"] = credentials.sender
    if status_callback_url:
        form["StatusCallback"] = status_callback_url
    url = messages_url(api_base_url, credentials.account_sid)
    auth = (credentials.account_sid, credentials.auth_token)
    try:
        if client is None:
            with httpx.Client(timeout=TIMEOUT_SECONDS) as own:
                response = own.post(url, data=form, auth=auth)
        else:
            response = client.post(url, data=form, auth=auth)
    except httpx.HTTPError as error:
        raise SmsSendFailed(f"no answer from the provider ({type(error).__name__})", retryable=True) from None
    return _accepted(response)


def _accepted(response: httpx.Response) -> tuple[str, str]:
    try:
        resource = response.json()
    except ValueError:
        resource = None
    if not isinstance(resource, dict):
        resource = {}
    if response.status_code in (200, 201):
        sid, status = resource.get("sid"), resource.get("status")
        if isinstance(sid, str) and sid and isinstance(status, str):
            return sid, status
        raise SmsSendFailed("the provider's answer has no message sid", retryable=True)
    code = resource.get("code") if isinstance(resource.get("code"), int) else None
    # Twilio's message names the problem (never the credentials); keep it short for the log.
    text = str(resource.get("message") or f"HTTP {response.status_code}")[:300]
    retryable = response.status_code == 429 or response.status_code >= 500
    raise SmsSendFailed(text, retryable=retryable, provider_code=code)
