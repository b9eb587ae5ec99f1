import logging

from .base import SendResult

logger = logging.getLogger("megacity.notifications")


class Console:
    """Development: the message goes to the log."""

    channel = "console"

    def __init__(self, config=None):
        self.config = config

    def send(self, message) -> SendResult:
        logger.info(
            "notification to %s (%s): %s", message.recipient_name or message.contact_ref, message.channel, message.text
        )
        return SendResult(f"console-{message.pk}")

    def find_sent(self, message):
        return None
