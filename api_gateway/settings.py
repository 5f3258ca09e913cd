from typing import ClassVar, Literal

from pydantic import PositiveFloat, PositiveInt, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

DEVELOPMENT_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789"  # noqa: S105
DEVELOPMENT_OPERATOR_TOKEN = "dev-operator-token"  # noqa: S105


class GatewaySettings(ServiceSettings):
    service_name: ClassVar[str] = "gateway"
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    jwt_secret: str = DEVELOPMENT_JWT_SECRET
    # Access tokens stay short; a client keeps its session with the refresh token (rotated on each use).
    jwt_ttl_seconds: int = 900
    refresh_token_ttl_seconds: PositiveInt = 30 * 24 * 3600
    jwt_issuer: str = "cobranza"
    # The platform operator creates tenants with this token (X-Operator-Token).
    operator_token: str = DEVELOPMENT_OPERATOR_TOKEN
    # A revoked API key or a deactivated user is refused at most this long after the change on other replicas.
    identity_cache_seconds: float = 5.0
    # Each process confirms the identity generation this often even when no change is announced (a lost
    # announcement is caught within this time; api_gateway/identity/generation.py).
    identity_check_seconds: PositiveFloat = 1.0
    default_rate_limit_per_minute: int = 600
    upstream_connect_timeout_seconds: float = 2.0
    upstream_timeout_seconds: float = 30.0
    upstream_max_connections: int = 200
    # Request bodies beyond their limit are refused with 413 before they are read further (issue 11). A path gets
    # the limit of the longest prefix in body_limits it starts with (env: JSON, GATEWAY_BODY_LIMITS=
    # '{"/v1/ingest/": 52428800}'), any other path max_body_bytes: bulk ingest (10,000 rows a request) gets room;
    # every other route's body is a form or a single record, a provider callback a small form.
    max_body_bytes: PositiveInt = 1024 * 1024
    body_limits: dict[str, PositiveInt] = {
        "/v1/ingest/": 50 * 1024 * 1024,
        "/webhooks/": 1024 * 1024,
        "/portal/": 6 * 1024 * 1024,  # a payment receipt (the portal holds it to its own 5 MB)
    }
    cors_origins: list[str] = []
    openapi_cache_seconds: float = 30.0
    idempotency_key_hours: int = 48
    # Provider callbacks (issue 10): stored, then answered. The public URL the providers call (their signatures
    # cover it); without it, the URL is rebuilt from the Host / X-Forwarded-* headers.
    public_base_url: str | None = None
    webhook_rate_limit_per_minute: int = 60_000
    webhook_retention_days: int = 7
    # Failed logins (issue 11): after this many failures in a row an account waits base, 2 base, 4 base ... up to
    # the cap before its next attempt; an address (X-Forwarded-For's first hop when trusted, else the peer) after
    # its own, higher, count. Counts expire after a window without failures.
    login_account_free_failures: PositiveInt = 5
    login_address_free_failures: PositiveInt = 30
    login_backoff_base_seconds: PositiveFloat = 1.0
    login_backoff_max_seconds: PositiveFloat = 15 * 60
    login_failure_window_seconds: PositiveInt = 3600
    # This many failures of one account in the window alert the tenant's admins by email (once per window).
    login_alarm_failures: PositiveInt = 10
    trust_forwarded_for: bool = False
    # Advancing a test clock (issue 15): how often the gateway asks the services whether the day's work has
    # settled, how many times at most before the advance is reported failed, and its longest span in days.
    test_clock_poll_seconds: PositiveFloat = 0.02
    test_clock_settle_polls: PositiveInt = 30_000
    test_clock_max_days: PositiveInt = 400
    # The argon2id parameters of new passwords (``identity/credentials.py``): "cheapest" is the test suite's, and
    # refused outside development.
    password_hashing: Literal["rfc9106-low-memory", "cheapest"] = "rfc9106-low-memory"  # noqa: S105 - a profile's name

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> "GatewaySettings":
        if self.environment != "development" and (
            self.jwt_secret == DEVELOPMENT_JWT_SECRET or self.operator_token == DEVELOPMENT_OPERATOR_TOKEN
        ):
            raise ValueError("jwt_secret and operator_token must be set outside development")
        if self.environment != "development" and self.password_hashing == "cheapest":  # noqa: S105 - a profile
            raise ValueError("password_hashing 'cheapest' is for tests: refused outside development")
        return self
