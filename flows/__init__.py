"""Prefect flows: the review route (advance). Nothing imports these but the entry points."""
