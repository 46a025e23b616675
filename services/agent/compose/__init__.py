"""Compose stacks on the agent: where their files are, how they get there, and `docker compose` runs.

- `paths`: the stack's folder and run directory, and the check that every file stays inside them;
- `args`: the `docker compose` argument lists of each request (pure);
- `files`: writing the UI-defined files and the env file, reading the deployed contents back;
- `git`: cloning or pulling a stack's repository with dulwich;
- `command`: running `docker compose` (and the user's pre/post deploy commands) into Logs;
- `stack`: what every request does first (paths, clone, write, which env files exist);
- `up`: the ComposeUp pipeline.
"""
