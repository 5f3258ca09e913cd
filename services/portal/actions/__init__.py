"""What the debtor can do on its page besides paying online (issue 17, point 3): report a payment with its receipt,
promise a date, dispute an invoice, ask for a call or a plan, stop a channel. Each lands in receivables or
messaging through their APIs, is audited, and is announced (``PortalActionTaken``)."""
