"""Requests to a host's agent (`komodo.agent.<server_id>.<Name>`): Komodo's Periphery requests, over the bus."""
