"""Payment receipts debtors upload with a reported payment: stored through ``ReceiptStorage`` (a local directory
by default, an S3-compatible bucket when configured), recorded in ``portal.receipts`` and served to the tenant's
people at ``/v1/portal-receipts/{id}``."""
