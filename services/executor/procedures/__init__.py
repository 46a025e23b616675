"""Procedures as an event chain: a run's progress in the executor's database, its stages started by events."""
