"""Configuration from the environment (prefix ``STUDIO_COMMS_``)."""

from __future__ import annotations

from pathlib import Path

from limits import parse as parse_rate
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "studio-comms.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_COMMS_", extra="ignore")

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    admin_token: SecretStr | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Database connections, and so requests doing database work at the same time. More threads
    # than connections only wait; more than a few per core only fight over the GIL.
    db_pool_size: int = Field(default=8, ge=1, le=200)
    # Sport Alliance default: 1000 requests per minute, counted per key and endpoint.
    rate_limit: str = "1000/minute"
    # Namespace of the counters in Redis, so several deployments can share one server.
    rate_limit_key_prefix: str = "studio-comms"
    max_body_bytes: int = 1024 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    # An IN_PROGRESS idempotency claim older than this belongs to a crashed request.
    idempotency_lease_seconds: int = 60
    # The constant-JSON route used by `make bench` as the framework ceiling.
    enable_bench_routes: bool = False
    var_dir: Path = Path("var")
    # Where members reach the preference center and unsubscribe links (default: http://HOST:PORT).
    public_url: str | None = None
    # Signs member links. Unset: generated once and kept in VAR_DIR/link-secret (mode 0600).
    link_secret: SecretStr | None = None

    @property
    def public_base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite://", "postgresql://", "postgresql+psycopg://")):
            raise ValueError("database_url must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
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

    @field_validator("rate_limit")
    @classmethod
    def _parsable_rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError with a clear message for "lots/hour"
        return value
