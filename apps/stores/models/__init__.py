from .base import Platform
from .replies import Alert, ReplyDraft, Report
from .reviews import IngestionSession, Review, ReviewVersion
from .stores import Listing, Store, StoreStaff, Subscription

__all__ = [
    "Alert",
    "IngestionSession",
    "Listing",
    "Platform",
    "ReplyDraft",
    "Report",
    "Review",
    "ReviewVersion",
    "Store",
    "StoreStaff",
    "Subscription",
]
