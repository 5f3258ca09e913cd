"""API keys for integrations: hashed at rest, shown once, revocable, never more than their creator may grant."""
