"""A studio's SMS provider account (operator API) and the checks every provider callback passes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from studio_comms.core.phone import NotAPhoneNumber, to_e164
from studio_comms.core.secrets import SecretBox
from studio_comms.db.tx import Tx
from studio_comms.sms import signature
from studio_comms.sms.errors import SignatureInvalid, SmsProviderNotConfigured, SmsSenderInvalid
from studio_comms.sms.repository import SmsRepository
from studio_comms.sms.schemas import SmsProviderRead, SmsProviderWrite
from studio_comms.sms.twilio import SmsCredentials
from studio_comms.studios.service import country_code, require_studio

Params = Sequence[tuple[str, str]]


def status_callback_url(base_url: str, studio_id: int) -> str:
    return f"{base_url}/sms/twilio/{studio_id}/status"


def inbound_url(base_url: str, studio_id: int) -> str:
    return f"{base_url}/sms/twilio/{studio_id}/inbound"


def put_account(
    tx: Tx, studio_id: int, data: SmsProviderWrite, *, base_url: str, now: datetime
) -> SmsProviderRead:
    require_studio(tx, studio_id)
    sender = data.sender
    if not sender.startswith("MG"):
        region = None if sender.startswith("+") else country_code(tx, studio_id)
        try:
            sender = to_e164(sender, region)
        except NotAPhoneNumber:
            raise SmsSenderInvalid(reference="sender", sender=sender) from None
    credentials = SmsCredentials(data.provider.value, data.accountSid, data.authToken, sender)
    SmsRepository(tx, studio_id).put_credentials(credentials, now=now)
    return _to_wire(studio_id, credentials, base_url)


def get_account(tx: Tx, studio_id: int, *, base_url: str) -> SmsProviderRead:
    return _to_wire(studio_id, credentials_for(tx, studio_id), base_url)


def delete_account(tx: Tx, studio_id: int) -> None:
    require_studio(tx, studio_id)
    if not SmsRepository(tx, studio_id).delete_credentials():
        raise SmsProviderNotConfigured()


def reseal(tx: Tx, studio_id: int, box: SecretBox) -> int:
    """The studio's stored token sealed again with ``box``'s first key (``secrets rotate``)."""
    return SmsRepository(tx, studio_id).reseal(box)


def credentials_for(tx: Tx, studio_id: int) -> SmsCredentials:
    """What a send authenticates with (the messages transport asks here)."""
    require_studio(tx, studio_id)
    credentials = SmsRepository(tx, studio_id).credentials()
    if credentials is None:
        raise SmsProviderNotConfigured()
    return credentials


def verified(tx: Tx, studio_id: int, url: str, params: Params, given_signature: str | None) -> SmsCredentials:
    """The studio's account, once the request proved it comes from it: signed with its auth
    token for exactly this URL and body, and naming its Account SID (a request signed by
    another studio's account, or replayed to another studio's URL, is refused)."""
    credentials = credentials_for(tx, studio_id)
    if not signature.is_valid(credentials.auth_token, url, params, given_signature):
        raise SignatureInvalid()
    if dict(params).get("AccountSid") != credentials.account_sid:
        raise SignatureInvalid()
    return credentials


def _to_wire(studio_id: int, credentials: SmsCredentials, base_url: str) -> SmsProviderRead:
    return SmsProviderRead.model_validate(
        {
            "provider": credentials.provider,
            "accountSid": credentials.account_sid,
            "sender": credentials.sender,
            "statusCallbackUrl": status_callback_url(base_url, studio_id),
            "inboundUrl": inbound_url(base_url, studio_id),
        }
    )
