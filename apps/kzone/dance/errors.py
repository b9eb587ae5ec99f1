"""The one error the dance engine raises for input it cannot use."""

from __future__ import annotations


class DanceInputError(ValueError):
    """Input the engine cannot use: the message names the argument (``video``, ``reference``,
    ``take``, ``bpm`` …) and says what is wrong, in words a learner's error page can show."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
