"""Komodo's git webhook listener (`/listener/...`): verify the git host's signature, then run the resource's
execution as the service user `Git Webhook`. See docs/http.md, "Webhooks"."""

from services.gateway.webhooks.routes import webhook_router

__all__ = ["webhook_router"]
