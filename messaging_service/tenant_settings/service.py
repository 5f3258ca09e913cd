"""Reading and changing a tenant's messaging settings; secrets go in, never out."""

import uuid
from typing import Any

from pydantic import BaseModel, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from messaging_service.channels.config import configured, email_config, policy
from messaging_service.delivery.acceptance import public_base
from messaging_service.models import TenantSettings
from messaging_service.settings import MessagingSettings
from messaging_service.tenant_settings import repository
from messaging_service.tenant_settings.schemas import (
    ChannelCommon,
    EmailOut,
    SettingsOut,
    SettingsPatch,
    SmsOut,
    SmsProviderOut,
    SmtpOut,
    WebhooksOut,
    WhatsAppOut,
    WhatsAppProviderOut,
)
from shared.problems import ValidationProblem

# Where each write-only field of a provider block is kept in ``secrets``.
SECRET_FIELDS = {
    ("email", "smtp", "password"): "smtp_password",
    ("sms", "provider", "auth_token"): "twilio_auth_token",
    ("whatsapp", "provider", "access_token"): "whatsapp_access_token",
    ("whatsapp", "provider", "app_secret"): "whatsapp_app_secret",
    ("whatsapp", "provider", "verify_token"): "whatsapp_verify_token",
}
BLOCKS = {"email": "smtp", "sms": "provider", "whatsapp": "provider"}


async def load(session: AsyncSession, tenant_id: uuid.UUID, for_update: bool = False) -> TenantSettings | None:
    return await repository.load(session, tenant_id, for_update)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value.model_dump(exclude_unset=False).items()}
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


async def patch(
    session: AsyncSession, settings: MessagingSettings, tenant_id: uuid.UUID, data: SettingsPatch
) -> TenantSettings:
    row = await load(session, tenant_id, for_update=True)
    if row is not None and row.sandbox:
        refuse_real_providers(data)
    if row is None:
        row = TenantSettings(tenant_id=tenant_id, profile={}, channels={}, secrets={}, active=True)
        session.add(row)
    profile, channels, secrets = dict(row.profile or {}), dict(row.channels or {}), dict(row.secrets or {})
    if data.profile is not None:
        for name in data.profile.model_fields_set:
            value = getattr(data.profile, name)
            if value is None:
                profile.pop(name, None)
            else:
                profile[name] = (
                    value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
                )
    for channel in ("email", "sms", "whatsapp"):
        change: ChannelCommon | None = getattr(data, channel)
        if change is None:
            continue
        current = dict(channels.get(channel) or {})
        block = BLOCKS[channel]
        for name in change.model_fields_set:
            value = getattr(change, name)
            if name != block:
                current[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
                continue
            if value is None:
                current.pop(block, None)
                for (ch, _, _), key in SECRET_FIELDS.items():
                    if ch == channel:
                        secrets.pop(key, None)
                continue
            plain: dict[str, Any] = {}
            required = {f for f, info in type(value).model_fields.items() if info.is_required()}
            for field in value.model_fields_set | required:
                secret_key = SECRET_FIELDS.get((channel, block, field))
                field_value = getattr(value, field)
                if secret_key is None:
                    plain[field] = _plain(field_value)
                elif field_value is None:
                    secrets.pop(secret_key, None)
                else:
                    secrets[secret_key] = field_value.get_secret_value()
            current[block] = {**(current.get(block) or {}), **plain}
        channels[channel] = current
    row.profile, row.channels, row.secrets = profile, channels, secrets
    await session.flush()
    return row


def refuse_real_providers(data: SettingsPatch) -> None:
    """A sandbox tenant never reaches a real provider (issue 15): it may not set its own SMTP server or SMS and
    WhatsApp provider (clearing one is fine). A 422 names each block it tried to set."""
    errors = [
        {
            "field": f"{channel}.{block}",
            "message": "a sandbox tenant sends only to the sandbox peers; it cannot use its own server or provider",
        }
        for channel, block in BLOCKS.items()
        if (change := getattr(data, channel)) is not None and getattr(change, block, None) is not None
    ]
    if errors:
        raise ValidationProblem(errors, "A sandbox tenant cannot be switched to real providers")


def view(settings: MessagingSettings, tenant_id: uuid.UUID, row: TenantSettings | None) -> SettingsOut:
    channels = (row.channels if row else None) or {}
    secrets = (row.secrets if row else None) or {}
    sandbox = bool(row is not None and row.sandbox)

    def common(channel: str) -> dict[str, Any]:
        rule = policy(channels, channel)
        stored = channels.get(channel) or {}
        return {
            "enabled": rule.enabled,
            "quiet_hours": stored["quiet_hours"] if "quiet_hours" in stored else _window_out(rule),
            "frequency_cap": stored["frequency_cap"] if "frequency_cap" in stored else _cap_out(rule),
            "configured": configured(settings, channel, channels, secrets, sandbox=sandbox),
        }

    email = channels.get("email") or {}
    effective = email_config(settings, channels, secrets, row.name if row else None)
    assert effective is not None  # only a sandbox's may be missing, and the sender fields do not depend on it
    smtp = email.get("smtp")
    sms_provider = (channels.get("sms") or {}).get("provider")
    wa_provider = (channels.get("whatsapp") or {}).get("provider")
    base = public_base(settings)
    return SettingsOut(
        profile=(row.profile if row else None) or {},
        sandbox=sandbox,
        email=EmailOut(
            **common("email"),
            from_address=effective.from_address,
            from_name=effective.from_name,
            reply_to=effective.reply_to,
            smtp=SmtpOut(
                host=smtp["host"],
                port=smtp.get("port") or 587,
                username=smtp.get("username"),
                security=smtp.get("security") or "starttls",
                password_set="smtp_password" in secrets,
            )
            if smtp
            else None,
        ),
        sms=SmsOut(
            **common("sms"),
            provider=SmsProviderOut(
                base_url=sms_provider.get("base_url"),
                account_sid=sms_provider["account_sid"],
                from_number=sms_provider.get("from_number"),
                messaging_service_sid=sms_provider.get("messaging_service_sid"),
                auth_token_set="twilio_auth_token" in secrets,
            )
            if sms_provider
            else None,
        ),
        whatsapp=WhatsAppOut(
            **common("whatsapp"),
            provider=WhatsAppProviderOut(
                base_url=wa_provider.get("base_url"),
                api_version=wa_provider.get("api_version"),
                phone_number_id=wa_provider["phone_number_id"],
                access_token_set="whatsapp_access_token" in secrets,
                app_secret_set="whatsapp_app_secret" in secrets,
                verify_token_set="whatsapp_verify_token" in secrets,
            )
            if wa_provider
            else None,
        ),
        webhooks=WebhooksOut(
            twilio_status=f"{base}/webhooks/messaging/twilio/{tenant_id}/status",
            twilio_inbound=f"{base}/webhooks/messaging/twilio/{tenant_id}/inbound",
            whatsapp=f"{base}/webhooks/messaging/whatsapp/{tenant_id}",
        ),
    )


def _window_out(rule: Any) -> dict[str, Any] | None:
    window = rule.window
    if window is None:
        return None
    return {"start": window.start.strftime("%H:%M"), "end": window.end.strftime("%H:%M"), "days": sorted(window.days)}


def _cap_out(rule: Any) -> dict[str, Any] | None:
    cap = rule.cap
    if cap is None:
        return None
    return {"max_messages": cap.max_messages, "window_days": int(cap.window.total_seconds() // 86400)}
