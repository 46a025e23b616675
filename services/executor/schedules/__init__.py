"""Schedules of procedures and actions (see docs/schedules.md)."""
