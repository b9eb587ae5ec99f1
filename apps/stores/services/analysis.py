"""Analysis of a review: sentiment (positive / negative / neutral / mixed, a score in
[-1, 1]), aspect polarity, Korean keywords and urgent matters.

Backends share one interface (`Analyser.analyse(text, rating) -> Analysis`). The CPU
default (`cpu-lexicon`) uses kiwipiepy (offline morphology, its model ships in the
kiwipiepy_model package) for keywords, and the lexicon and rules of `lexicon.py` for the
rest. The text decides the sentiment; the stars only break a silence (Naver shows no
stars since 2022, and ratings often contradict their text).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache

from django.db import transaction
from django.utils import timezone

from ..models import Review
from . import lexicon

CLAUSE = re.compile(
    r"[.!?\n~]+|(?<=는데|은데|지만|던데|인데|ㄴ데)\s|\s(?:그런데|근데|하지만|그러나|그래도|반면|다만)\s"
)
PREFIXES = {"불", "비", "무", "미", "몰", "반"}


@dataclass
class Analysis:
    sentiment: str
    score: float
    aspects: dict = field(default_factory=dict)
    keywords: list = field(default_factory=list)
    urgent: list = field(default_factory=list)
    backend: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _compile(patterns):
    return [re.compile(p) for p in patterns]


POS = _compile(lexicon.POSITIVE)
NEG = _compile(lexicon.NEGATIVE)
SARCASM = _compile(lexicon.SARCASM)
NEG_AFTER = re.compile(lexicon.NEGATION_AFTER)
NEG_BEFORE = re.compile(lexicon.NEGATION_BEFORE)
ASPECTS = {name: _compile(patterns) for name, patterns in lexicon.ASPECTS.items()}
URGENT = {name: _compile(patterns) for name, patterns in lexicon.URGENT.items()}


def _cues(clause: str) -> tuple[int, int]:
    """(positive, negative) cue counts of one clause, negations flipped."""
    pos = neg = 0
    taken: list[tuple[int, int]] = []
    for polarity, patterns in (
        (-1, NEG),
        (1, POS),
    ):  # negative first: 불친절 before 친절
        for pattern in patterns:
            for match in pattern.finditer(clause):
                start, end = match.span()
                if any(s < end and start < e for s, e in taken):
                    continue
                taken.append((start, end))
                sign = polarity
                word_end = end
                while word_end < len(clause) and clause[word_end] not in " ,":
                    word_end += 1
                if NEG_AFTER.match(clause[end : word_end + 6]) or NEG_BEFORE.search(clause[max(0, start - 3) : start]):
                    sign = -sign
                if sign > 0:
                    pos += 1
                else:
                    neg += 1
    return pos, neg


def clauses(text: str) -> list[str]:
    return [c.strip() for c in CLAUSE.split(text or "") if c and c.strip()]


@cache
def _kiwi():
    from kiwipiepy import Kiwi

    return Kiwi()


_kiwi_lock = threading.Lock()


def keywords(text: str, limit: int = 8) -> list[str]:
    """Nouns and roots, with negating prefixes kept on their noun (불친절, 비위생, 무성의)."""
    if not text.strip():
        return []
    with _kiwi_lock:
        tokens = _kiwi().tokenize(text)
    found: list[str] = []
    prefix = ""
    for token in tokens:
        if token.tag == "XPN" and token.form in PREFIXES:
            prefix = token.form
            continue
        if token.tag in ("NNG", "NNP", "XR"):
            word = prefix + token.form
            if (len(word) >= 2 or prefix) and word not in lexicon.STOPWORDS:
                found.append(word)
        elif token.tag == "VA" and len(token.form) >= 2:
            found.append(prefix + token.form + "다")
        prefix = ""
    return [word for word, _n in Counter(found).most_common(limit)]


class Analyser:
    name = ""

    def analyse(self, text: str, rating: int | None) -> Analysis:
        raise NotImplementedError


class CpuLexicon(Analyser):
    name = "cpu-lexicon-v1"

    def analyse(self, text: str, rating: int | None) -> Analysis:
        parts = clauses(text) or [text or ""]
        pos = neg = 0
        aspects: dict[str, int] = {}
        for clause in parts:
            p, n = _cues(clause)
            pos, neg = pos + p, neg + n
            for aspect, patterns in ASPECTS.items():
                if any(pattern.search(clause) for pattern in patterns):
                    aspects[aspect] = aspects.get(aspect, 0) + (p - n)
        sarcastic = any(pattern.search(text or "") for pattern in SARCASM) and (neg > 0 or (rating or 5) <= 2)
        if sarcastic:
            pos, neg = 0, neg + pos + 1
        urgent = [name for name, patterns in URGENT.items() if any(p.search(text or "") for p in patterns)]
        if pos + neg:
            score = (pos - neg) / (pos + neg)
            if pos and neg and min(pos, neg) / max(pos, neg) >= 0.5:
                sentiment = "mixed"
            elif score > 0:
                sentiment = "positive"
            elif score < 0:
                sentiment = "negative"
            else:
                sentiment = "mixed"
        elif rating:
            score = (rating - 3) / 2
            sentiment = "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"
        else:
            score, sentiment = 0.0, "neutral"
        if urgent and sentiment in ("positive", "neutral") and not re.search(r"없|안\s?(나|났)|아니", text or ""):
            sentiment, score = ("mixed" if pos else "negative"), min(score, -0.2)
        polarity = {a: ("positive" if v > 0 else "negative" if v < 0 else "neutral") for a, v in aspects.items()}
        return Analysis(
            sentiment,
            round(score, 3),
            polarity,
            keywords(text or ""),
            urgent,
            self.name,
        )


_backend: Analyser | None = None


def backend() -> Analyser:
    """The analyser in use: the CPU default unless another was installed (set_backend)."""
    return _backend or CpuLexicon()


def set_backend(analyser: Analyser | None) -> None:
    global _backend
    _backend = analyser


ANALYSED_FIELDS = [
    "sentiment",
    "sentiment_score",
    "aspects",
    "keywords",
    "urgent",
    "analysis_backend",
    "analysed_at",
    "updated_at",
]


def analyse_reviews(ids: list[int]) -> int:
    """Analyse the reviews not analysed yet, as one batch (idempotent: analysed ones, and
    ones another worker holds, are skipped), then alert and draft replies for them."""
    from . import alerts, replies

    analyser = backend()
    with transaction.atomic():
        reviews = list(
            Review.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("store")
            .filter(pk__in=ids, analysed_at=None)
            .order_by("pk")
        )
        if not reviews:
            return 0
        now = timezone.now()
        for review in reviews:
            result = analyser.analyse(review.text, review.rating)
            review.sentiment, review.sentiment_score = result.sentiment, result.score
            review.aspects, review.keywords, review.urgent = (
                result.aspects,
                result.keywords,
                result.urgent,
            )
            review.analysis_backend, review.analysed_at, review.updated_at = (
                result.backend,
                now,
                now,
            )
        Review.objects.bulk_update(reviews, ANALYSED_FIELDS, batch_size=500)
        alerts.consider_many(reviews)
        replies.after_analysis_many(reviews)
    return len(reviews)
