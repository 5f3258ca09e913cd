"""Who is calling: a person with a JWT or an integration with an API key, as a ``Principal`` with its current
roles. Every gateway route and every forwarded request starts here."""
