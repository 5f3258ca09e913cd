"""Webhooks out to integrations (issue 14): endpoints, signed deliveries with retries, their log and replay.

A service of its own, not part of the gateway: delivering to slow or failing ERP endpoints, with retries over
days, is a different workload from the public request path. Its HTTP client waits on strangers' servers, its
queue may grow for days while an ERP is down; it scales (more workers) and fails (a stuck delivery loop) on its
own, and the gateway's latency and memory never depend on someone else's endpoint.

Events arrive through the worker's inbox (``catalogue.CONSUMED_MESSAGES`` -> ``catalogue.webhook_events``), are
stored and fanned out to the subscribed endpoints in the inbox's transaction (``deliveries.repository``), and the
worker's delivery loop sends them signed (Standard Webhooks) with retries (``deliveries.sender``).
"""
