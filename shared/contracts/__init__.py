"""The messages services exchange: the one contract both sides import.

Importing this package registers every message class, so an ``Envelope`` can always be opened.
"""

from shared.contracts import alarms, dunning, gateway, messaging, receivables, webhooks  # noqa: F401
