"""Events about cloud machines Varanus launched (AWS builders, ServerTemplates)."""

from __future__ import annotations

from typing import ClassVar

from contracts.events.base import Event


class AwsBuilderTerminationFailed(Event):
    """The EC2 instance of a build on an AWS builder could not be terminated after retries: it keeps running
    (and costing) until someone terminates it. The alerter raises Komodo's critical `AwsBuilderTerminationFailed`
    alert from it; `resource` is the Builder."""

    KIND: ClassVar[str] = "builder"

    update_id: str
    """The Update of the build (or repo build) the instance was for; its log has the attempts."""
    instance_id: str
    """The EC2 instance id (`i-...`)."""
    region: str = ""
    """The AWS region of the instance."""
    message: str = ""
    """The last error AWS gave."""
