"""Requests between Varanus services (`komodo.internal.*`), not part of Komodo's public API."""
