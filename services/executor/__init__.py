"""The executor: run state of servers (and later deployments and stacks), their reads and executions."""
