"""The team's labelled Korean reviews and the metrics `bench/reviews` prints (see README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SENTIMENTS = ["positive", "negative", "neutral", "mixed"]


@dataclass
class Labelled:
    platform: str
    category: str
    stars: int | None
    sentiment: str
    urgent: set
    aspects: dict
    keywords: set
    text: str


def load(name: str) -> list[Labelled]:
    rows = []
    for number, line in enumerate((HERE / f"{name}.psv").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) != 8:
            raise ValueError(f"{name}.psv line {number}: {len(parts)} columns, not 8")
        platform, category, stars, sentiment, urgent, aspects, keywords, text = parts
        if sentiment not in SENTIMENTS:
            raise ValueError(f"{name}.psv line {number}: sentiment {sentiment!r}")
        rows.append(
            Labelled(
                platform,
                category,
                None if stars == "-" else int(stars),
                sentiment,
                set() if urgent == "-" else set(urgent.split(",")),
                {}
                if aspects == "-"
                else {a[:-1]: {"+": "positive", "-": "negative", "=": "neutral"}[a[-1]] for a in aspects.split(",")},
                set() if keywords == "-" else set(keywords.split(";")),
                text,
            )
        )
    return rows


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(analyser, rows: list[Labelled]) -> dict:
    confusion = {gold: dict.fromkeys(SENTIMENTS, 0) for gold in SENTIMENTS}
    aspect_tp = aspect_fp = aspect_fn = 0
    kw_tp = kw_fp = kw_fn = 0
    urgent_tp = urgent_fn = urgent_fp = 0
    misses = []
    for row in rows:
        result = analyser.analyse(row.text, row.stars)
        confusion[row.sentiment][result.sentiment] += 1
        if result.sentiment != row.sentiment:
            misses.append((row.sentiment, result.sentiment, row.stars, row.text))
        gold_aspects = {(a, p) for a, p in row.aspects.items()}
        got_aspects = {(a, p) for a, p in result.aspects.items()}
        aspect_tp += len(gold_aspects & got_aspects)
        aspect_fp += len(got_aspects - gold_aspects)
        aspect_fn += len(gold_aspects - got_aspects)
        got_kw = set(result.keywords)
        # A gold keyword counts as found when an extracted keyword contains it or is its stem.
        found = {g for g in row.keywords if any(g in k or k in g for k in got_kw)}
        useful = {k for k in got_kw if any(g in k or k in g for g in row.keywords)}
        kw_tp += len(found)
        kw_fn += len(row.keywords - found)
        kw_fp += len(got_kw - useful)
        # Urgent: per review (an urgent review must be flagged urgent at all).
        if row.urgent:
            if result.urgent:
                urgent_tp += 1
            else:
                urgent_fn += 1
        elif result.urgent:
            urgent_fp += 1
    per_class = {}
    for label in SENTIMENTS:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in SENTIMENTS if g != label)
        fn = sum(confusion[label][p] for p in SENTIMENTS if p != label)
        per_class[label] = _f1(tp, fp, fn)
    correct = sum(confusion[label][label] for label in SENTIMENTS)
    return {
        "n": len(rows),
        "accuracy": correct / len(rows),
        "macro_f1": sum(f for _p, _r, f in per_class.values()) / len(SENTIMENTS),
        "per_class": per_class,
        "confusion": confusion,
        "aspect": _f1(aspect_tp, aspect_fp, aspect_fn),
        "keyword": _f1(kw_tp, kw_fp, kw_fn),
        "urgent_recall": urgent_tp / (urgent_tp + urgent_fn) if urgent_tp + urgent_fn else 1.0,
        "urgent_precision": urgent_tp / (urgent_tp + urgent_fp) if urgent_tp + urgent_fp else 1.0,
        "misses": misses,
    }
