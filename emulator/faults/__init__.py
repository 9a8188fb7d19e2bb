"""Fault rules, latency profiles, rate limits and transport faults: the error scenarios users script."""
