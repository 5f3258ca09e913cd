"""Tenants: created by the platform operator, read and changed by their own people."""
