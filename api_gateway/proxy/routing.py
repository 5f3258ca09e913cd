"""Which service answers which public path: by the first segment after ``/v1``.

The one routing table of the public API. A new public resource of a service is added here; the merged
OpenAPI document shows exactly the paths this table routes.
"""

SERVICE_RESOURCES: dict[str, tuple[str, ...]] = {
    "receivables": (
        "customers",
        "invoices",
        "payments",
        "outcomes",
        "promises",
        "notes",
        "tasks",
        "kpis",
        "people",
        "dispute-areas",
        "ingest",
        "receivables-settings",
        "worklist",
        "supervision",
        "warning-signs",
        "charges",
        "payment-plans",
    ),
    "dunning": (
        "strategies",
        "strategy-experiments",
        "dunning-runs",
        "action-items",
        "dunning-explain",
        "dunning-forecast",
        "dunning-settings",
    ),
    "messaging": ("templates", "messages", "replies", "messaging-settings", "opt-out"),
    "alarms": ("alarms", "alarm-settings"),
    "webhooks": ("webhook-endpoints", "webhook-events", "webhook-settings"),
    "portal": ("portal-links", "portal-actions", "portal-settings", "portal-receipts"),
}

# Resources whose paths name a customer, invoice or payment right after them (``/v1/customers/{customer_id}/...``):
# there the ERP's id is taken too, written ``ext:<external id>`` (see ``external_ids``).
REFERENCE_SEGMENTS: dict[str, str] = {
    "customers": "customer",
    "invoices": "invoice",
    "payments": "payment",
    "dunning-explain": "customer",
}

# Public, unauthenticated paths a service answers itself (provider callbacks it verifies by signature).
UNAUTHENTICATED_PREFIXES: dict[str, str] = {"/webhooks/messaging/": "messaging"}

RESOURCE_SERVICE: dict[str, str] = {
    resource: service for service, resources in SERVICE_RESOURCES.items() for resource in resources
}


def service_for(path: str) -> str | None:
    """``/v1/customers/123`` -> ``receivables``; None when no service owns the path."""
    if not path.startswith("/v1/"):
        return None
    resource = path[4:].split("/", 1)[0]
    return RESOURCE_SERVICE.get(resource)
