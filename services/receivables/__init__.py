"""Receivables: customers, invoices, payments, contact outcomes, notes, tasks, timeline and KPIs."""
