"""Helpers that start real services for tests and benchmarks (never used at run time)."""
