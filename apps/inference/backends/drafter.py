"""The LLM kind's CPU default: a template drafter, NOT a language model.

No small chat model could be run here on 2 CPU cores without building llama-cpp-python, so
with no LLM server the platform drafts from templates: it picks the reply's tone from the
words of the request and names its keywords (kiwipiepy). Its result carries
`generated_by: "template"` and the backend label "Template draft (rule-based, not written
by a language model)", which every page showing it repeats. Register an OpenAI-compatible
server (vLLM, llama.cpp's server) and the same jobs are written by a model instead."""

from __future__ import annotations

import re

NEGATIVE = re.compile(
    r"불친절|별로|실망|최악|느리|늦|불편|비싸|더럽|아쉽|안 ?좋|불만|환불|bad|slow|rude|dirty|worst", re.I
)
POSITIVE = re.compile(r"친절|맛있|좋|최고|깨끗|감사|만족|추천|빠르|great|good|love|best|clean", re.I)

TEMPLATES = {
    "negative": (
        "소중한 의견 남겨 주셔서 감사합니다. {topics}에 대해 불편을 드려 진심으로 죄송합니다. "
        "말씀해 주신 내용을 바로 확인하고 개선하겠습니다. 다음 방문에서는 더 나은 모습으로 보답하겠습니다."
    ),
    "positive": (
        "따뜻한 후기 감사합니다! {topics}까지 좋게 봐 주셔서 큰 힘이 됩니다. "
        "앞으로도 변함없는 모습으로 기다리겠습니다. 또 찾아 주세요."
    ),
    "neutral": (
        "방문해 주시고 의견 남겨 주셔서 감사합니다. 말씀해 주신 {topics} 내용 잘 살펴보겠습니다. "
        "더 만족하실 수 있도록 노력하겠습니다."
    ),
}


def _prompt(inputs: dict) -> str:
    if inputs.get("prompt"):
        return str(inputs["prompt"])
    messages = inputs.get("messages") or []
    return next((str(m.get("content", "")) for m in reversed(messages) if m.get("role") == "user"), "")


def tone(text: str) -> str:
    negative, positive = len(NEGATIVE.findall(text)), len(POSITIVE.findall(text))
    # "불친절" also contains "친절": a negative word outweighs the positive one inside it.
    if negative and negative >= positive - negative:
        return "negative"
    return "positive" if positive else "neutral"


def run(inputs: dict, params: dict, *, on_token=None, should_stop=None, **_) -> dict:
    from apps.inference import text as korean

    prompt = _prompt(inputs)
    try:
        topics = korean.keywords(prompt, top=2)
    except ImportError:  # kiwipiepy not installed: no keywords, the template still reads well
        topics = []
    mood = tone(prompt)
    draft = TEMPLATES[mood].format(topics=", ".join(topics) if topics else "말씀하신 부분")
    words = draft.split(" ")
    for i, word in enumerate(words):
        if should_stop is not None and should_stop():
            from apps.inference.clients import Cancelled

            raise Cancelled("cancelled")
        if on_token is not None:
            on_token(word if i == 0 else f" {word}")
    return {
        "text": draft,
        "generated_by": "template",
        "tone": mood,
        "keywords": topics,
        "tokens": len(words),
        "finish_reason": "stop",
    }
