"""The messages services exchange: the one contract both sides import.

Importing this package registers every message class, so an ``Envelope`` can always be opened, and gives each its
``consumers`` from the consumers' own declarations (``subscriptions.py``).
"""

from shared.contracts import alarms, dunning, gateway, messaging, portal, receivables, webhooks  # noqa: F401
from shared.contracts.subscriptions import consumers_of
from shared.messages import REGISTRY

for _message in REGISTRY.values():
    _message.consumers = consumers_of(_message)
