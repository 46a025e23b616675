"""The host agent: Komodo's Periphery re-made for the bus.

It runs on a Docker host, dials out to NATS, answers the requests on `komodo.agent.<server_id>.<Name>`,
publishes a heartbeat (`AgentStatus`) every monitoring interval and each container state change at once.
See docs/agent.md.
"""
