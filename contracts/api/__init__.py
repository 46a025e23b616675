"""Komodo's read, write and execute requests, and Varanus' internal requests."""
