"""Cloud machines that join Varanus by themselves: launch, wait for the agent, terminate.

One mechanism for AWS builders (an EC2 instance per build) and ServerTemplates (`LaunchServer`), both run by the
builder service, which owns every machine Varanus launches (so the limit on launches at once and the orphan sweep
see them all):

- `settings.py`  the cloud credentials and endpoints (`KOMODO_AWS_*`, `KOMODO_HETZNER_TOKEN`, `_FILE` forms)
- `machines.py`  what a launched machine is, the tags that mark it as ours, `CloudError`
- `aws.py`       EC2 through aiobotocore
- `hetzner.py`   Hetzner Cloud through `hcloud` (synchronous, run in a worker thread)
- `user_data.py` the boot script that installs and starts the agent with a one-time onboarding key
- `join.py`      launch, wait (bounded) until the agent heartbeats, terminate on failure, timeout or cancel
"""
