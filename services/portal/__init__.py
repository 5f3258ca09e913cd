"""The customer's own page (issue 17): a debtor opens a signed link from a message, sees the open position, pays
online, reports a payment, promises a date, disputes an invoice or asks for a plan.

The service itself (its app, routes, pages, tables) is not here yet. What is here so far is the online-payment
foundation it will stand on:

- ``checkout/``: our adapter for a payment-service provider with the shape of Mercado Pago's Checkout Pro (shared
  PROVIDERS.md): the pure rules (the notification's ``x-signature``, the mapping of the provider's statuses to ours)
  and the HTTP client (create a preference, fetch a payment);
- ``stubs/psp.py``: a local Checkout Pro peer on loopback for local runs and tests, like messaging's provider stub.
"""
