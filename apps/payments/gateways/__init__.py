from .base import BadWebhook, GatewayError, Verified, WebhookEvent, adapter_for

__all__ = ["BadWebhook", "GatewayError", "Verified", "WebhookEvent", "adapter_for"]
