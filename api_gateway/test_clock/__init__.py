"""A sandbox tenant's test clock (issue 15): set, read and advanced day by day."""
