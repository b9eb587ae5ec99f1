from .base import PermanentError, Provider, RetryableError, SendResult
from .registry import provider_for

__all__ = ["PermanentError", "Provider", "RetryableError", "SendResult", "provider_for"]
