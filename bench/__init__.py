"""Benchmarks: ingest, retrieval, answers and HTTP at scale (see bench/README.md)."""
