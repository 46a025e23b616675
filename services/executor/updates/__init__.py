"""Image update detection for Deployments (Komodo's `poll_for_updates` / `auto_update`).

`check` compares the digest a deployment's image tag has in its registry now (asked by the agent, nothing is
pulled) with the `RepoDigests` of the image its running container uses; `store` keeps the results and a
short-lived digest cache in the executor's database; `poller` runs the check on a timer on one replica.
"""
