"""The alerter service: evaluates heartbeats and events into alerts, keeps them, and delivers them to Alerters."""
