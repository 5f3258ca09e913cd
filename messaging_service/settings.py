"""Messaging settings. Local defaults (SMTP server, provider stub) come from ``deploy/env.sh`` through the
common ``COBRANZA_`` prefix; what differs per tenant (credentials, windows, caps) lives in the database."""

import hashlib
import hmac
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class MessagingSettings(ServiceSettings):
    service_name: ClassVar[str] = "messaging"
    model_config = SettingsConfigDict(env_prefix="MESSAGING_", extra="ignore")

    # The SMTP server used when a tenant configured none (COBRANZA_SMTP_HOST / COBRANZA_SMTP_PORT).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = 30.0
    # Connections a worker keeps open per SMTP server; each carries one transaction at a time.
    smtp_connections: int = 4
    default_from_address: str = "cobranzas@cobranza.localhost"

    # The SMS / WhatsApp API base URL used when a tenant configured none (COBRANZA_PROVIDER_URL).
    provider_url: str = "http://127.0.0.1:8005"
    provider_timeout_seconds: float = 10.0
    provider_concurrency: int = 20
    # Credentials of the local provider stub; used in development only, when a tenant configured none.
    dev_twilio_account_sid: str = "AC00000000000000000000000000000000"
    dev_twilio_auth_token: str = "dev-twilio-auth-token"  # noqa: S105
    dev_twilio_from: str = "+15005550006"
    dev_whatsapp_phone_number_id: str = "100000000000001"
    dev_whatsapp_access_token: str = "dev-whatsapp-access-token"  # noqa: S105
    dev_whatsapp_app_secret: str = "dev-whatsapp-app-secret"  # noqa: S105
    dev_whatsapp_verify_token: str = "dev-whatsapp-verify-token"  # noqa: S105
    whatsapp_api_version: str = "v21.0"

    # Where a sandbox tenant's messages go (issue 15): never a real provider. Unset: in development the local SMTP
    # server and provider stub above; outside development the channel is not configured for sandbox tenants.
    sandbox_smtp_host: str | None = None
    sandbox_smtp_port: int | None = None
    sandbox_provider_url: str | None = None

    # The public URL of the gateway: status callbacks and unsubscribe links point there, and provider
    # signatures are computed over it. Unset: the forwarded host headers tell it.
    public_base_url: str | None = None
    unsubscribe_secret: str | None = None

    # Delivery: transient errors retry with exponential backoff, then the message is dead-lettered.
    retry_max_attempts: int = 5
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    delivery_batch_size: int = 200
    delivery_parallelism: int = 4
    delivery_time_budget_seconds: float = 50.0
    # A deliver job that finds nothing due waits this long for more before it ends (acceptance kicks it early).
    delivery_linger_seconds: float = 1.0
    # A sender holds the messages it claimed for this long and renews the hold every third of it while it sends;
    # a message whose hold ran out (the worker died mid-send) is due again: at least once, never lost.
    sending_lease_seconds: float = 30.0
    # Rendered bodies are kept this long for the message detail; subject and metadata stay.
    body_retention_days: int = 180

    # Tenant templates render under limits (a breach is a 422 on save and preview, ``template_error`` on a send):
    # loop iterations and calls per render, characters produced (output and intermediate strings), nesting of
    # macro calls and recursive loops, and wall-clock time of a save or preview (rendered in a worker thread,
    # abandoned past it) with at most ``template_renders_per_tenant`` of one tenant's renders at once (one more: 429).
    template_max_iterations: int = 100_000
    template_max_output_chars: int = 1_000_000
    template_max_depth: int = 10
    template_render_seconds: float = 2.0
    template_renders_per_tenant: int = 2
    # The threads of a process that render saves and previews (shared by all tenants, each held to its own cap).
    template_render_threads: int = Field(8, ge=1)

    # Email's way back. Each email's envelope sender is ``bounces+<message id>@<bounce_domain>`` (VERP) and its
    # Reply-To ``reply+<message id>@<reply_domain>``, unless the tenant set its own; both domains' MX must point
    # to an MTA that posts what it receives to ``/webhooks/messaging/email/inbound``, signed with
    # ``inbound_email_secret`` (the local SMTP server does, and keeps retrying for ``inbound_email_retry_seconds``).
    bounce_domain: str = "bounces.cobranza.localhost"
    reply_domain: str = "replies.cobranza.localhost"
    inbound_email_secret: str | None = None
    inbound_email_retry_seconds: float = 4 * 3600.0

    @model_validator(mode="after")
    def _check(self) -> "MessagingSettings":
        if self.environment != "development" and not self.unsubscribe_secret:
            raise ValueError("unsubscribe_secret must be set outside development")
        if self.environment != "development" and not self.inbound_email_secret:
            raise ValueError("inbound_email_secret must be set outside development")
        return self

    @property
    def development(self) -> bool:
        return self.environment == "development"

    def link_secret(self) -> bytes:
        """The key of unsubscribe links (derived from the internal secret in development)."""
        if self.unsubscribe_secret:
            return self.unsubscribe_secret.encode()
        return hmac.new(self.internal_secret.encode(), b"messaging-unsubscribe", hashlib.sha256).digest()

    def inbound_email_key(self) -> bytes:
        """The key the MTA signs inbound email with (derived from the internal secret in development)."""
        if self.inbound_email_secret:
            return self.inbound_email_secret.encode()
        return hmac.new(self.internal_secret.encode(), b"messaging-inbound-email", hashlib.sha256).digest()
