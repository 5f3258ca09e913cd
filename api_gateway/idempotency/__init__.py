"""``Idempotency-Key`` on every POST of the public API (one ASGI middleware for own and forwarded routes)."""
