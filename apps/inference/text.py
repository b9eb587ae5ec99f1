"""Korean morphology and keywords on the CPU: kiwipiepy with its model package
(kiwipiepy_model), loaded from the package, offline.

Keywords keep the negating prefixes 불-/비-/무- on their noun (kiwipiepy splits them off
as XPN: 불친절 → 불 + 친절, and "친절" alone would say the opposite of the review)."""

from __future__ import annotations

import threading
from collections import Counter

_kiwi = None
_lock = threading.Lock()
NOUNS = {"NNG", "NNP"}
KEEP_PREFIXES = {"불", "비", "무", "미"}


def kiwi():
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                _kiwi = Kiwi()
    return _kiwi


def keywords(text: str, top: int = 5) -> list[str]:
    """The most frequent nouns of `text` (Korean), negating prefixes kept, first seen first on ties."""
    tokens = kiwi().tokenize(text)
    found: list[str] = []
    prefix = ""
    for token in tokens:
        if token.tag == "XPN" and token.form in KEEP_PREFIXES:
            prefix = token.form
            continue
        if token.tag in NOUNS and len(prefix + token.form) > 1:
            found.append(prefix + token.form)
        elif token.tag == "SL":  # a Latin-script word
            found.append(token.form.lower())
        prefix = ""
    counts = Counter(found)
    order = {word: i for i, word in reversed(list(enumerate(found)))}
    return sorted(counts, key=lambda w: (-counts[w], order[w]))[:top]
