"""One connector interface for every platform (see base.Connector) and the registry of
connectors by platform, filled in AppConfig.ready()."""

from __future__ import annotations

from .base import Connector, NotSupported, RawReview, TransientError

_registry: dict[str, Connector] = {}


def register(connector: Connector) -> None:
    if connector.platform in _registry:
        raise ValueError(f"a connector for {connector.platform} is already registered")
    _registry[connector.platform] = connector


def connector_for(platform: str) -> Connector:
    return _registry[platform]


def register_defaults() -> None:
    from .google import GoogleBusinessProfile
    from .manual import OwnerAssisted

    if _registry:
        return
    register(GoogleBusinessProfile())
    register(OwnerAssisted("naver", "https://new.smartplace.naver.com/"))
    register(OwnerAssisted("kakao", "https://business.kakao.com/"))


__all__ = ["Connector", "NotSupported", "RawReview", "TransientError", "connector_for", "register"]
