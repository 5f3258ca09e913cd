"""What a request may cost: body limits (413) and per-API-key rate limits (429)."""
