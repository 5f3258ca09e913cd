"""A tenant's channel configuration: its own settings where it set them, else the local defaults (development).

Outside development a tenant must configure SMS and WhatsApp itself; email falls back to the operator's SMTP relay.

A sandbox tenant (issue 15) never reaches a real provider: whatever its settings say, its email goes to the sandbox
SMTP server and its SMS and WhatsApp to the sandbox provider (``sandbox_*`` settings; in development the local
peers), with the sandbox credentials; without a sandbox peer for a channel, the channel is not configured.
"""

from dataclasses import dataclass
from typing import Any

from messaging_service.delivery.rules import ContactWindow, FrequencyCap, parse_cap, parse_window
from messaging_service.settings import MessagingSettings

# Contact window and cap when a tenant set none: Monday to Saturday 08:00-20:00 in the customer's zone
# (seed 002: never outside the allowed hours), at most 5 messages a week per customer and channel.
DEFAULT_WINDOW = {"start": "08:00", "end": "20:00", "days": [1, 2, 3, 4, 5, 6]}
DEFAULT_CAP = {"max_messages": 5, "window_days": 7}


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    security: str  # none, starttls, tls
    timeout: float

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.host, self.port, self.username, self.password, self.security)


@dataclass(frozen=True, slots=True)
class EmailConfig:
    smtp: SmtpConfig
    from_address: str
    from_name: str | None
    reply_to: str | None


@dataclass(frozen=True, slots=True)
class SmsConfig:
    base_url: str
    account_sid: str
    auth_token: str
    from_number: str | None
    messaging_service_sid: str | None


@dataclass(frozen=True, slots=True)
class WhatsAppConfig:
    base_url: str
    api_version: str
    phone_number_id: str
    access_token: str
    app_secret: str
    verify_token: str


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    enabled: bool
    window: ContactWindow | None
    cap: FrequencyCap | None


def channel_settings(channels: dict[str, Any] | None, channel: str) -> dict[str, Any]:
    return dict((channels or {}).get(channel) or {})


def policy(channels: dict[str, Any] | None, channel: str) -> ChannelPolicy:
    """The channel's window and cap; an explicit ``null`` in the settings means none."""
    values = channel_settings(channels, channel)
    window = values.get("quiet_hours", DEFAULT_WINDOW)
    cap = values.get("frequency_cap", DEFAULT_CAP)
    return ChannelPolicy(bool(values.get("enabled", True)), parse_window(window), parse_cap(cap))


def sandbox_smtp(settings: MessagingSettings) -> SmtpConfig | None:
    """The SMTP server a sandbox tenant's email goes to: the configured sandbox peer, else (development) the local
    one; None outside development when none is configured."""
    host = settings.sandbox_smtp_host or (settings.smtp_host if settings.development else None)
    if host is None:
        return None
    port = settings.sandbox_smtp_port or (settings.smtp_port if host == settings.smtp_host else 25)
    return SmtpConfig(
        host=host, port=port, username=None, password=None, security="none", timeout=settings.smtp_timeout_seconds
    )


def sandbox_provider_url(settings: MessagingSettings) -> str | None:
    """The SMS / WhatsApp API a sandbox tenant's messages go to (the local stub in development)."""
    url = settings.sandbox_provider_url or (settings.provider_url if settings.development else None)
    return url.rstrip("/") if url else None


def email_config(
    settings: MessagingSettings,
    channels: dict[str, Any] | None,
    secrets: dict[str, Any] | None,
    tenant_name: str | None,
    *,
    sandbox: bool = False,
) -> EmailConfig | None:
    """The tenant's email sending; None only for a sandbox tenant when no sandbox SMTP server is configured."""
    values = channel_settings(channels, "email")
    smtp = values.get("smtp") or {}
    secrets = secrets or {}
    own = bool(smtp.get("host"))
    if sandbox:
        server = sandbox_smtp(settings)
        if server is None:
            return None
        return EmailConfig(
            server,
            values.get("from_address") or settings.default_from_address,
            values.get("from_name") or tenant_name,
            values.get("reply_to"),
        )
    return EmailConfig(
        smtp=SmtpConfig(
            host=smtp["host"] if own else settings.smtp_host,
            port=int(smtp.get("port") or (587 if own else settings.smtp_port)),
            username=smtp.get("username") if own else settings.smtp_username,
            password=secrets.get("smtp_password") if own else settings.smtp_password,
            security=smtp.get("security") or ("starttls" if own else settings.smtp_security),
            timeout=settings.smtp_timeout_seconds,
        ),
        from_address=values.get("from_address") or settings.default_from_address,
        from_name=values.get("from_name") or tenant_name,
        reply_to=values.get("reply_to"),
    )


def sms_config(
    settings: MessagingSettings,
    channels: dict[str, Any] | None,
    secrets: dict[str, Any] | None,
    *,
    sandbox: bool = False,
) -> SmsConfig | None:
    provider = channel_settings(channels, "sms").get("provider") or {}
    secrets = secrets or {}
    if sandbox:
        base_url = sandbox_provider_url(settings)
        if base_url is None:
            return None
        return SmsConfig(
            base_url, settings.dev_twilio_account_sid, settings.dev_twilio_auth_token, settings.dev_twilio_from, None
        )
    if provider.get("account_sid") and secrets.get("twilio_auth_token"):
        return SmsConfig(
            base_url=(provider.get("base_url") or settings.provider_url).rstrip("/"),
            account_sid=provider["account_sid"],
            auth_token=secrets["twilio_auth_token"],
            from_number=provider.get("from_number"),
            messaging_service_sid=provider.get("messaging_service_sid"),
        )
    if not settings.development:
        return None
    return SmsConfig(
        base_url=(provider.get("base_url") or settings.provider_url).rstrip("/"),
        account_sid=settings.dev_twilio_account_sid,
        auth_token=settings.dev_twilio_auth_token,
        from_number=provider.get("from_number") or settings.dev_twilio_from,
        messaging_service_sid=None,
    )


def whatsapp_config(
    settings: MessagingSettings,
    channels: dict[str, Any] | None,
    secrets: dict[str, Any] | None,
    *,
    sandbox: bool = False,
) -> WhatsAppConfig | None:
    provider = channel_settings(channels, "whatsapp").get("provider") or {}
    secrets = secrets or {}
    if sandbox:
        base_url = sandbox_provider_url(settings)
        if base_url is None:
            return None
        return WhatsAppConfig(
            base_url=base_url,
            api_version=settings.whatsapp_api_version,
            phone_number_id=settings.dev_whatsapp_phone_number_id,
            access_token=settings.dev_whatsapp_access_token,
            app_secret=settings.dev_whatsapp_app_secret,
            verify_token=settings.dev_whatsapp_verify_token,
        )
    if provider.get("phone_number_id") and secrets.get("whatsapp_access_token"):
        return WhatsAppConfig(
            base_url=(provider.get("base_url") or settings.provider_url).rstrip("/"),
            api_version=provider.get("api_version") or settings.whatsapp_api_version,
            phone_number_id=provider["phone_number_id"],
            access_token=secrets["whatsapp_access_token"],
            app_secret=secrets.get("whatsapp_app_secret") or "",
            verify_token=secrets.get("whatsapp_verify_token") or "",
        )
    if not settings.development:
        return None
    return WhatsAppConfig(
        base_url=(provider.get("base_url") or settings.provider_url).rstrip("/"),
        api_version=provider.get("api_version") or settings.whatsapp_api_version,
        phone_number_id=settings.dev_whatsapp_phone_number_id,
        access_token=settings.dev_whatsapp_access_token,
        app_secret=settings.dev_whatsapp_app_secret,
        verify_token=settings.dev_whatsapp_verify_token,
    )


def configured(
    settings: MessagingSettings, channel: str, channels: dict[str, Any] | None, secrets: Any, *, sandbox: bool = False
) -> bool:
    if channel == "sms":
        return sms_config(settings, channels, secrets, sandbox=sandbox) is not None
    if channel == "whatsapp":
        return whatsapp_config(settings, channels, secrets, sandbox=sandbox) is not None
    return not sandbox or sandbox_smtp(settings) is not None
