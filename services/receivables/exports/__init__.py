"""Spreadsheet exports (CSV and XLSX) of the lists and reports, for finance teams: the tables (pure) and the
writers that stream them."""
