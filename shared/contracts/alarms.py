"""Alarms only sends commands (digests through messaging); it announces no events yet."""
