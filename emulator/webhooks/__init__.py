"""Signed webhook delivery: keys, event envelopes, the dispatcher and its delivery log."""
