"""Offline evaluation of newsrag: a versioned question set, metrics, reports and a gate.

Run `rag eval --retrieval-only` (seconds, no model) or `rag eval` (every answer, with the
configured model). See eval/README.md for every metric's definition.
"""
