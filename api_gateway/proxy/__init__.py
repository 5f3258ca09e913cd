"""Forwarding the public API to the services: the routing table, the forwarding itself, the ERP's ids (``ext:``),
and the intake of provider callbacks."""
