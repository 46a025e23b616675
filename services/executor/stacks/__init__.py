"""Stacks: where their files come from, how their state is read from the heartbeats."""
