"""Dunning: strategies, the daily dunning run, action items, explain and forecast."""
