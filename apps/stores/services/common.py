"""The platform kit's service helpers (apps.core.services), as the store services use them."""

from apps.core.services import invalid, record

__all__ = ["invalid", "record"]
