"""Domain services; ``services/receivables`` is the system of record for invoices and contact outcomes."""
