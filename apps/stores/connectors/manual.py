"""Naver Place and Kakao Map publish no review API: reviews come from the owner's own
pages (pasted or uploaded, services.paste), and replies are posted by the owner
("copy and open": the draft goes to the clipboard and the platform's reply page opens)."""

from __future__ import annotations

from .base import Connector


class OwnerAssisted(Connector):
    source = "paste"
    can_post = False

    def __init__(self, platform: str, business_url: str):
        self.platform = platform
        self.business_url = business_url

    def reply_page(self, listing) -> str:
        return (listing.url if listing is not None and listing.url else "") or self.business_url
