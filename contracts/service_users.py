"""Komodo's built-in service users: fixed ids that appear as the `operator` of automatic Updates."""

from __future__ import annotations

from typing import Final

SYSTEM_USER_ID: Final = "000000000000000000000000"
"""The system itself (startup tasks, maintenance)."""
PROCEDURE_USER_ID: Final = "000000000000000000000001"
"""Executions run as a procedure stage."""
ACTION_USER_ID: Final = "000000000000000000000002"
"""Calls made by an Action script."""
GIT_WEBHOOK_USER_ID: Final = "000000000000000000000003"
"""Executions triggered by a git webhook."""
AUTO_REDEPLOY_USER_ID: Final = "000000000000000000000004"
"""Deploys triggered by a finished build."""
RESOURCE_SYNC_USER_ID: Final = "000000000000000000000005"
"""Changes applied by a ResourceSync."""
STACK_WIZARD_USER_ID: Final = "000000000000000000000006"
"""Stacks created by the stack wizard."""
BUILD_MANAGER_USER_ID: Final = "000000000000000000000007"
"""Builds cancelled or managed automatically."""
REPO_MANAGER_USER_ID: Final = "000000000000000000000008"
"""Repo operations managed automatically."""

SERVICE_USERS: Final = {
    SYSTEM_USER_ID: "System",
    PROCEDURE_USER_ID: "Procedure",
    ACTION_USER_ID: "Action",
    GIT_WEBHOOK_USER_ID: "Git Webhook",
    AUTO_REDEPLOY_USER_ID: "Auto Redeploy",
    RESOURCE_SYNC_USER_ID: "Resource Sync",
    STACK_WIZARD_USER_ID: "Stack Wizard",
    BUILD_MANAGER_USER_ID: "Build Manager",
    REPO_MANAGER_USER_ID: "Repo Manager",
}
"""Username of each built-in service user by id."""
