"""Online payment through a provider with the shape of Mercado Pago's Checkout Pro (issue 17).

``rules.py`` (pure: the notification's signature, the payment's status in our terms), ``client.py`` (httpx: create a
preference, fetch a payment), ``schemas.py`` (the wire shapes). No database and no routes yet: they come with the
portal's service.
"""
