"""TEXT_MESSAGE out through the studio's Twilio account: the messages worker's transport.

The worker holds no transaction while it sends, so the studio's credentials are read in a short
read of their own before each message (an operator's change applies to the next message). One
HTTP client keeps its connections to the provider across messages.
"""

from __future__ import annotations

import httpx

from studio_comms.db.database import Database
from studio_comms.messages.transports import NO_SMS_PROVIDER, OutgoingMessage, SendResult
from studio_comms.sms.errors import SmsProviderNotConfigured
from studio_comms.sms.service import credentials_for, status_callback_url
from studio_comms.sms.twilio import SmsSendFailed, send_sms


class TwilioTransport:
    def __init__(self, database: Database, *, api_base_url: str, public_base_url: str) -> None:
        self.database = database
        self.api_base_url = api_base_url
        self.public_base_url = public_base_url
        self._client = httpx.Client(timeout=10.0)

    def send(self, message: OutgoingMessage) -> SendResult:
        try:
            with self.database.read() as tx:
                credentials = credentials_for(tx, message.studio_id)
        except SmsProviderNotConfigured:
            return SendResult(accepted=False, error=NO_SMS_PROVIDER, retryable=False)
        try:
            sid, _queued = send_sms(
                credentials,
                message.to,
                message.content,
                status_callback_url(self.public_base_url, message.studio_id),
                api_base_url=self.api_base_url,
                client=self._client,
            )
        except SmsSendFailed as error:
            return SendResult(accepted=False, error=error.reason, retryable=error.retryable)
        return SendResult(accepted=True, provider_message_id=sid)

    def close(self) -> None:
        self._client.close()
