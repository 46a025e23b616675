"""Repositories checked out on the host (CloneRepoOnHost, PullRepoOnHost): where they go, and the clone or pull
with its env file and `on_clone` / `on_pull` command."""
