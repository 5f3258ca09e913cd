"""Webhooks out to integrations (issue 14): endpoints, signed deliveries with retries, their log and replay."""
