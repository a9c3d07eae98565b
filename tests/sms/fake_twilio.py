"""Twilio on loopback: a real HTTP server speaking the parts of the Messages API 2010-04-01 we use.

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: HTTP Basic auth (Account SID and auth
  token; 401 with Twilio's error resource 20003 otherwise), a form body with ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body`` and optionally ``StatusCallback``; 201 with the Message
  resource (``sid`` SM…, ``status`` queued), 400 with error 21211 / 21604 / 21602 as Twilio does.
- Status callbacks and incoming messages are POSTed as Twilio posts them: a form body with its
  documented fields, signed with ``X-Twilio-Signature`` over the URL as configured (our public
  URL) while the connection goes to the app's loopback address (what a reverse proxy does).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

import httpx

from studio_comms.sms.signature import sign

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


@dataclass
class SentMessage:
    sid: str
    account_sid: str
    form: dict[str, str]
    content_type: str


@dataclass
class FakeTwilio:
    url: str
    # Account SID -> auth token of the accounts that exist.
    accounts: dict[str, str] = field(default_factory=dict)
    messages: list[SentMessage] = field(default_factory=list)
    # Requests refused (status, Twilio error code), for the tests' assertions.
    refusals: list[tuple[int, int]] = field(default_factory=list)
    # Answer the next sends with this status (e.g. 503), then normally.
    fail_next: list[int] = field(default_factory=list)
    # Where callbacks really go: the public base URL they are signed for -> the app's address.
    public_url: str = ""
    app_url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_account(self) -> tuple[str, str]:
        account_sid, auth_token = new_sid("AC"), secrets.token_hex(16)
        self.accounts[account_sid] = auth_token
        return account_sid, auth_token

    # --- what Twilio posts to us -----------------------------------------------------------------

    def post_signed(
        self, url: str, params: dict[str, str], *, auth_token: str, signature: str | None = None
    ) -> httpx.Response:
        """POST ``params`` to ``url`` (a public URL), signed as Twilio signs it, unless a
        ``signature`` is forced."""
        header = signature if signature is not None else sign(auth_token, url, list(params.items()))
        target = self.app_url + url.removeprefix(self.public_url)
        return httpx.post(
            target,
            content=urlencode(params),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": header,
                "User-Agent": "TwilioProxy/1.1",
            },
            timeout=10,
        )

    def report_status(
        self,
        message: SentMessage,
        status: str,
        *,
        error_code: str | None = None,
        auth_token: str | None = None,
    ) -> httpx.Response:
        """The status callback Twilio posts to the message's StatusCallback URL."""
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.form.get("From", "+4930901820"),
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.form["To"],
        }
        if error_code is not None:
            params["ErrorCode"] = error_code
        token = auth_token or self.accounts[message.account_sid]
        return self.post_signed(message.form["StatusCallback"], params, auth_token=token)

    def incoming(
        self, url: str, account_sid: str, *, sender: str, to: str, body: str, auth_token: str | None = None
    ) -> httpx.Response:
        """An SMS a member sent to the account's number, posted to the number's webhook ``url``."""
        sid = new_sid("SM")
        params = {
            "ToCountry": "DE",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "DE",
            "To": to,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        return self.post_signed(url, params, auth_token=auth_token or self.accounts[account_sid])

    # --- the API -------------------------------------------------------------------------------

    def handle_send(
        self, path: str, authorization: str | None, content_type: str, body: bytes
    ) -> tuple[int, dict]:
        found = _MESSAGES.match(path)
        if found is None:
            return self._refuse(404, 20404, "The requested resource was not found")
        account_sid = found.group(1)
        if not self._authenticated(account_sid, authorization):
            return self._refuse(401, 20003, "Authenticate")
        with self.lock:
            outage = self.fail_next.pop(0) if self.fail_next else None
        if outage is not None:
            return self._refuse(outage, 20500 if outage >= 500 else 20429, "Service unavailable")
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if not form.get("To"):
            return self._refuse(400, 21604, "A 'To' phone number is required.")
        if not _E164.match(form["To"]):
            return self._refuse(400, 21211, f"The 'To' number {form['To']} is not a valid phone number.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._refuse(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        if not form.get("Body"):
            return self._refuse(400, 21602, "Message body is required.")
        message = SentMessage(new_sid("SM"), account_sid, form, content_type)
        with self.lock:
            self.messages.append(message)
        return 201, {
            "sid": message.sid,
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "to": form["To"],
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form["Body"],
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{message.sid}.json",
        }

    def _authenticated(self, account_sid: str, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == account_sid and self.accounts.get(account_sid) == password

    def _refuse(self, status: int, code: int, message: str) -> tuple[int, dict]:
        with self.lock:
            self.refusals.append((status, code))
        return status, {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    holder: list[FakeTwilio] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status, resource = holder[0].handle_send(
                self.path, self.headers.get("Authorization"), self.headers.get("Content-Type") or "", body
            )
            payload = json.dumps(resource).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(FakeTwilio(url=f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, name="fake-twilio", daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
