"""Benchmarks for borderkit (run with make bench)."""
