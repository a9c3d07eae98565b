"""Configuration from the environment (prefix ``STUDIO_COMMS_``)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from limits import parse as parse_rate
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "studio-comms.db"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


MIN_ADMIN_TOKEN_LENGTH = 24


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_COMMS_", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    admin_token: SecretStr | None = None
    # Bearer token of GET /metrics (a scraper need not hold the operator token, which works too).
    metrics_token: SecretStr | None = None
    redis_url: str | None = None
    # A Redis that does not answer within this is skipped (rate limits fail open) and tried again
    # after redis_retry_seconds; one warning per interval says so.
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    redis_retry_seconds: float = Field(default=15.0, gt=0, le=3600)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For / -Proto are believed; from
    # anyone else those headers are ignored, so a client cannot choose the IP in the ledger.
    # NoDecode: the environment's value is comma-separated, not JSON.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    # The request line and headers of one request, checked by `serve` while they arrive, before
    # anything else looks at them.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    max_header_count: int = Field(default=100, ge=10, le=1000)
    max_query_bytes: int = Field(default=2048, ge=256, le=64 * 1024)

    # Database connections, and so requests doing database work at the same time. More threads
    # than connections only wait; more than a few per core only fight over the GIL.
    db_pool_size: int = Field(default=8, ge=1, le=200)
    # Sport Alliance default: 1000 requests per minute, counted per key and endpoint.
    rate_limit: str = "1000/minute"
    # Namespace of the counters in Redis, so several deployments can share one server.
    rate_limit_key_prefix: str = "studio-comms"
    max_body_bytes: int = 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    # The fast lane for the hot /v1 routes (api.hot). Off: FastAPI serves every request (the same
    # answers, more CPU per request): an operator's escape hatch should the lane misbehave.
    hot_paths: bool = True
    # The constant-JSON route used by `make bench` as the framework ceiling.
    enable_bench_routes: bool = False
    var_dir: Path = Path("var")
    # Where members reach the preference center and unsubscribe links (default: http://HOST:PORT).
    public_url: str | None = None
    # Twilio's REST API (Messages API 2010-04-01); another address only for a compatible provider
    # or a test double.
    twilio_api_url: str = "https://api.twilio.com"
    # Signs member links. Unset: generated once and kept in VAR_DIR/link-secret (mode 0600).
    link_secret: SecretStr | None = None
    # Seals provider credentials and webhook secrets in the database (core.secrets): Fernet keys,
    # comma-separated, the first seals, all open (rotation). Unset: generated once and kept in
    # VAR_DIR/secret-key (mode 0600) — back it up with the database, share it between processes.
    secret_key: SecretStr | None = None

    @property
    def public_base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 address
        return f"http://{host}:{self.port}"

    # Webhooks. Subscriptions must be https to public addresses unless this is true (development,
    # tests: a receiver on loopback).
    webhook_allow_private_networks: bool = False
    # Seconds to wait before each retry; the delivery is dead after the last one fails (~1 day).
    # NoDecode: the environment's value is comma-separated, not JSON.
    webhook_retry_schedule: Annotated[tuple[int, ...], NoDecode] = (5, 300, 1800, 7200, 18000, 36000, 36000)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # Certificates of receivers are checked against the system's CAs, or this bundle (a private CA).
    webhook_ca_bundle: Path | None = None
    # Deliveries to one subscription a worker sends at the same time; the rest wait their turn,
    # so one slow endpoint cannot occupy every worker thread.
    webhook_max_in_flight_per_endpoint: int = Field(default=2, ge=1, le=64)
    # A subscription whose deliveries have all failed for this long is disabled.
    webhook_disable_after_seconds: int = Field(default=5 * 24 * 3600, ge=60)

    # The outbox worker. The lease must outlast the longest handler (a webhook's timeout): a
    # worker that dies holding items releases them when their lease expires.
    worker_lease_seconds: int = Field(default=30, ge=1)
    worker_poll_seconds: float = Field(default=0.5, gt=0, le=1.0)
    worker_batch_size: int = Field(default=32, ge=1, le=1000)
    # Threads for outbox handlers that block (plain ``def perform``); webhooks need none.
    worker_concurrency: int = Field(default=8, ge=1, le=64)
    # Items a worker holds at once (claimed, being sent, not yet recorded): webhooks are sent on
    # one event loop, so many can be in flight without a thread each.
    worker_max_in_flight: int = Field(default=256, ge=1, le=10_000)
    # A worker logs a warning while the oldest due item has waited longer than this.
    outbox_lag_warning_seconds: float = Field(default=60.0, gt=0)

    # Delivery: e-mail studio-comms sends itself. Unset SMTP URL: written as .eml files under
    # VAR_DIR/mail. smtp://[user:password@]host[:port][?starttls=auto|required|off] or smtps://…
    smtp_url: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # The SMTP server's certificate is checked against the system's CAs, or this bundle.
    smtp_ca_bundle: Path | None = None
    # From address of studios that set none of their own (operator API, message-settings).
    email_from: str = "studio-comms@localhost"
    # Signed VERP: each e-mail's envelope sender (Return-Path) becomes
    # local+{studioId}.{messageId}.{tag}@domain of this address, tag an HMAC with the link secret;
    # bounces then act only when sent back to such an address (README, "Bounces").
    bounce_address: str | None = Field(default=None, pattern=r"^[^@+\s]+@[^@\s]+$")
    # DKIM: signing when a private key (PEM, RSA) is configured; d= defaults to the From domain.
    dkim_private_key_path: Path | None = None
    dkim_selector: str = "studio-comms"
    dkim_domain: str | None = None

    @property
    def mail_dir(self) -> Path:
        return self.var_dir / "mail"

    @model_validator(mode="after")
    def _lease_outlasts_an_attempt(self) -> Settings:
        # A lease that expires while its webhook is still being sent lets a second worker send it.
        if self.worker_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError("worker_lease_seconds must be longer than webhook_timeout_seconds")
        # The same for an e-mail (only sent over SMTP when a server is configured).
        if self.smtp_url is not None and self.worker_lease_seconds <= self.smtp_timeout_seconds:
            raise ValueError("worker_lease_seconds must be longer than smtp_timeout_seconds")
        return self

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(("smtp://", "smtps://")):
            raise ValueError("smtp_url must be smtp://[user:password@]host[:port] or smtps://…")
        parts = urlsplit(value.get_secret_value())
        off = "off" in parse_qs(parts.query).get("starttls", [])
        if off and parts.username and not _is_loopback(parts.hostname or ""):
            # Credentials in clear over the network: anyone on the path could read them.
            raise ValueError(
                "smtp_url: ?starttls=off sends the user name and password in clear; it is refused "
                "unless the host is loopback (127.0.0.1, ::1, localhost)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("database_url must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _schedule_from_csv(cls, value: object) -> object:
        # The environment gives "5,300,1800"; a tuple or list passes through.
        if isinstance(value, str):
            try:
                return tuple(int(part) for part in value.split(",") if part.strip())
            except ValueError:
                raise ValueError("webhook_retry_schedule: comma-separated seconds, e.g. 5,300,1800") from None
        return value

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(seconds < 0 for seconds in value):
            raise ValueError("webhook_retry_schedule: seconds must not be negative")
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_from_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {entry!r} is no IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        return value

    @field_validator("admin_token", "metrics_token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Empty means unset (every /admin route answers 401). A short token can be guessed.
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_ADMIN_TOKEN_LENGTH:
            raise ValueError(
                f"{info.field_name} must be at least {MIN_ADMIN_TOKEN_LENGTH} characters; generate one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("public_url must be an absolute http:// or https:// URL")
        return value

    @field_validator("link_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("link_secret must be at least 32 characters")
        return value

    @field_validator("secret_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        for key in value.get_secret_value().replace("\n", ",").split(","):
            if not key.strip():
                continue
            try:
                if len(base64.urlsafe_b64decode(key.strip().encode())) != 32:
                    raise ValueError
            except (ValueError, binascii.Error):
                raise ValueError(
                    "secret_key: comma-separated keys of 32 url-safe base64 bytes each; make one "
                    "with `studio-comms secrets new-key`"
                ) from None
        return value

    @field_validator("rate_limit")
    @classmethod
    def _parsable_rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError with a clear message for "lots/hour"
        return value
