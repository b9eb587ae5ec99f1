from __future__ import annotations

from ..models import Channel, ProviderConfig
from .console import Console
from .sens import SensAlimtalk
from .telegram import TelegramBot

CLIENTS = {Channel.ALIMTALK: SensAlimtalk, Channel.TELEGRAM: TelegramBot, Channel.CONSOLE: Console}


def provider_for(channel: str):
    if channel == Channel.CONSOLE:
        return Console()
    config = ProviderConfig.objects.filter(channel=channel, enabled=True).first()
    if config is None:
        return None
    return CLIENTS[channel](config)
