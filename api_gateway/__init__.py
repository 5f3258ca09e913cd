"""The only public entry: identity (tenants, users, API keys, tokens), routing, merged OpenAPI, rate limits."""
