"""Benchmarks over instance sets: isolated runs, a results store, checks and reports."""
