"""The customer's own page (issue 17): a debtor opens the link a message carried, sees the open position (the
same figures as the messages), downloads the statement, pays online, reports a payment with its receipt, promises
a date, disputes an invoice, asks for a call or a plan, or stops a channel. Each action lands in receivables (its
API), on the timeline, as a webhook, and as a task where a person must act; every one is audited.

- ``links/``: the links (opaque tokens, kept hashed), kept from messaging's ``PortalLinksIssued``, made by hand,
  revoked; ``visits/``: a debtor's visit (the link checked, rate limits, the form token); ``pages/``: the
  position page, the frame, friendly error pages, the security headers; ``audit/``: every action on record;
  ``upstream.py``: the calls to receivables and messaging; ``tenant_settings/``: the tenant's portal.
- ``actions/``: what the debtor does besides paying (report, promise, dispute, call, opt out, plan);
  ``receipts/``: the uploaded receipts and their storage (a local directory, or an S3-compatible bucket).
- ``checkout/``: paying online through the provider (Mercado Pago's Checkout Pro shape): the pay form, the return
  page, the signed notifications; ``stubs/psp.py``: the provider's local peer for runs and tests.
"""
