"""Online payment through a provider with the shape of Mercado Pago's Checkout Pro (issue 17, "Pay online").

``rules.py`` (pure: the notification's signature, the payment's status in our terms, which invoices a checkout may
charge, what a payment does to its checkout), ``client.py`` (httpx: create a preference, fetch a payment),
``schemas.py`` (the wire shapes), ``service.py``/``repository.py`` (checkouts, payments applied in receivables),
``router.py`` (the debtor's pay form and return page, the provider's notifications).
"""
