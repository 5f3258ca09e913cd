from typing import ClassVar
from urllib.parse import urlsplit

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class PortalSettings(ServiceSettings):
    service_name: ClassVar[str] = "portal"
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    # Small pools (README, "Connection budget"): a page holds a connection only for its short transactions (the
    # visit, the audit), never while receivables and messaging answer.
    db_pool_size: int = 2
    db_max_overflow: int = 1
    db_fast_pool_size: int = 1
    # Where the debtor's browser reaches us: the gateway's public URL (links, the provider's back_urls and
    # notification_url). Default: the gateway's URL.
    public_base_url: str | None = None
    # The payment provider (Mercado Pago's Checkout Pro, or the local stub: services/portal/stubs/psp.py).
    psp_base_url: str = "http://127.0.0.1:8009"
    psp_access_token: str = "TEST-dev-access-token-change-me"  # noqa: S105 - refused outside development
    psp_webhook_secret: str = "dev-psp-webhook-secret-change-me"  # noqa: S105 - refused outside development
    psp_timeout_seconds: float = 10.0
    # Where the provider's checkout page lives (Mercado Pago: https://www.mercadopago.com.ar), for the page's
    # Content-Security-Policy (a form may lead there). Default: the origin of ``psp_base_url``.
    psp_checkout_origin: str | None = None
    # Uploaded receipts: a local directory by default; an S3-compatible bucket when ``storage_s3_bucket`` is set.
    storage_dir: str = ".run/portal-receipts"
    storage_s3_endpoint: str | None = None
    storage_s3_bucket: str | None = None
    storage_s3_region: str = "us-east-1"
    storage_s3_access_key: str | None = None
    storage_s3_secret_key: str | None = None
    receipt_max_bytes: int = 5 * 1024 * 1024
    # Rate limits (visits/limits.py): pages per link and per address, actions per link, unknown tokens per address.
    pages_per_minute_per_link: int = 60
    pages_per_minute_per_address: int = 300
    actions_per_hour_per_link: int = 30
    refused_tokens_per_hour_per_address: int = 30

    def checkout_origin(self) -> str:
        if self.psp_checkout_origin:
            return self.psp_checkout_origin.rstrip("/")
        parts = urlsplit(self.psp_base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def public_base(self) -> str:
        return (self.public_base_url or self.gateway_url).rstrip("/")
