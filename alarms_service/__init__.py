"""Alarms: the internal alarms of seed 000 and their digests."""
