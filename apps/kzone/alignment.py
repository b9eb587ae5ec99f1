"""A transcript against its target text: character error rate, per-word match, timing and
pacing. Pure functions (no Django), used by the voice tutor and the drama coach.

- Text is compared after NFKC, case folding and dropping everything but letters and digits
  (punctuation and spacing are not what a learner is practising). Korean is compared by
  syllable, which is what a character means to a Korean reader.
- CER = Levenshtein distance between the normalised texts / the target's length (rapidfuzz).
- Words are aligned with the same edit operations over word lists; a substituted word
  whose characters are at least 60 % alike is `close` (a near miss), else `wrong`; target
  words with no heard word are `missed`, heard words with no target word `extra`.
- Timing comes from the transcript's segments (and their words, when the transcriber gave
  word timestamps); without word times, a segment's time is shared among its words by
  length and marked `estimated`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
CLOSE = 0.6
PAUSE_SECONDS = 0.6


def normalise(text: str) -> str:
    """Letters and digits only, NFKC, case folded: what CER is counted over."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def words(text: str) -> list[str]:
    """The words of `text` as written (for display)."""
    return WORD.findall(unicodedata.normalize("NFKC", text or ""))


def word_key(word: str) -> str:
    return normalise(word)


def cer(target: str, heard: str) -> float:
    """Character error rate of `heard` against `target` (0 = identical; can exceed 1)."""
    reference = normalise(target)
    if not reference:
        return 0.0 if not normalise(heard) else 1.0
    return Levenshtein.distance(reference, normalise(heard)) / len(reference)


@dataclass
class Heard:
    text: str
    start: float | None
    end: float | None
    estimated: bool


def timed_words(transcript: str, segments: list[dict] | None) -> list[Heard]:
    """The heard words with their times: from the segments' `words` when present, else each
    segment's span shared among its words by length; with no segments, no times."""
    out: list[Heard] = []
    for segment in segments or []:
        start, end = _num(segment.get("start")), _num(segment.get("end"))
        given = segment.get("words") or []
        if given:
            for w in given:
                for token in words(str(w.get("word", ""))):
                    out.append(Heard(token, _num(w.get("start")), _num(w.get("end")), False))
            continue
        tokens = words(str(segment.get("text", "")))
        if not tokens:
            continue
        if start is None or end is None or end < start:
            out.extend(Heard(t, None, None, True) for t in tokens)
            continue
        total = sum(len(t) for t in tokens) or 1
        at = start
        for token in tokens:
            span = (end - start) * len(token) / total
            out.append(Heard(token, round(at, 2), round(at + span, 2), True))
            at += span
    if not out:
        out = [Heard(t, None, None, True) for t in words(transcript)]
    return out


def _num(value) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def align_words(target_words: list[str], heard: list[Heard]) -> tuple[list[dict], list[dict]]:
    """(one entry per target word, the extra heard words)."""
    t_keys = [word_key(w) for w in target_words]
    h_keys = [word_key(h.text) for h in heard]
    rows: list[dict] = []
    extra: list[dict] = []

    def entry(i: int, status: str, j: int | None) -> dict:
        h = heard[j] if j is not None else None
        return {
            "word": target_words[i],
            "status": status,
            "heard": h.text if h else "",
            "start": h.start if h else None,
            "end": h.end if h else None,
        }

    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(t_keys, h_keys):
        if tag == "equal":
            rows.extend(entry(i1 + k, "match", j1 + k) for k in range(i2 - i1))
        elif tag == "replace":
            n, m = i2 - i1, j2 - j1
            for k in range(max(n, m)):
                if k < n and k < m:
                    similar = Levenshtein.normalized_similarity(t_keys[i1 + k], h_keys[j1 + k])
                    rows.append(entry(i1 + k, "close" if similar >= CLOSE else "wrong", j1 + k))
                elif k < n:
                    rows.append(entry(i1 + k, "missed", None))
                else:
                    h = heard[j1 + k]
                    extra.append({"word": h.text, "start": h.start, "end": h.end})
        elif tag == "delete":
            rows.extend(entry(i, "missed", None) for i in range(i1, i2))
        elif tag == "insert":
            extra.extend({"word": heard[j].text, "start": heard[j].start, "end": heard[j].end} for j in range(j1, j2))
    return rows, extra


def pacing(heard: list[Heard], segments: list[dict] | None, duration: float | None) -> dict:
    """Words per minute over the time spoken, and the pauses between what was said."""
    spans = [(s, e) for s, e in ((_num(x.get("start")), _num(x.get("end"))) for x in segments or []) if s is not None]
    timed = [h for h in heard if h.start is not None and h.end is not None]
    pauses: list[dict] = []
    if timed and not all(h.estimated for h in timed):
        marks = [(h.start, h.end) for h in timed]
    else:
        marks = [(s, e if e is not None else s) for s, e in spans]
    for (_s1, e1), (s2, _e2) in itertools.pairwise(marks):
        if s2 - e1 >= PAUSE_SECONDS:
            pauses.append({"at": round(e1, 2), "seconds": round(s2 - e1, 2)})
    if marks:
        first, last = marks[0][0], marks[-1][1]
        spoken = max(last - first, 0.0)
    else:
        first, last, spoken = None, None, float(duration or 0)
    wpm = round(len(heard) / spoken * 60, 1) if spoken > 0 and heard else None
    return {
        "words_per_minute": wpm,
        "speaking_seconds": round(spoken, 2),
        "start": first,
        "end": last,
        "pauses": pauses,
        "longest_pause": max((p["seconds"] for p in pauses), default=0.0),
    }


def compare(target: str, transcript: str, segments: list[dict] | None = None, duration: float | None = None) -> dict:
    """The whole comparison of one recording with its target text."""
    heard = timed_words(transcript, segments)
    rows, extra = align_words(words(target), heard)
    matched = sum(1 for r in rows if r["status"] == "match")
    close = sum(1 for r in rows if r["status"] == "close")
    rate = cer(target, transcript)
    word_accuracy = (matched + 0.5 * close) / len(rows) if rows else 0.0
    return {
        "cer": round(rate, 4),
        "word_accuracy": round(word_accuracy, 4),
        "words": rows,
        "extra_words": extra,
        "counts": {
            "target": len(rows),
            "match": matched,
            "close": close,
            "wrong": sum(1 for r in rows if r["status"] == "wrong"),
            "missed": sum(1 for r in rows if r["status"] == "missed"),
            "extra": len(extra),
        },
        "timing": pacing(heard, segments, duration),
        "times_estimated": any(h.estimated for h in heard),
    }


def accuracy_score(comparison: dict) -> float:
    """0–100: the characters right (1 − CER, floored at 0), then the words (each half)."""
    chars = max(0.0, 1.0 - comparison["cer"])
    return round(100 * (0.5 * chars + 0.5 * comparison["word_accuracy"]), 1)


def timing_score(spoken_seconds: float, reference_seconds: float | None) -> float | None:
    """100 when the take lasts as long as the reference, less the further it strays (±50 %
    of the reference's length scores 0)."""
    if not reference_seconds or reference_seconds <= 0 or not spoken_seconds:
        return None
    off = abs(spoken_seconds - reference_seconds) / reference_seconds
    return round(max(0.0, 1.0 - 2 * off) * 100, 1)


def split_by_lines(rows: list[dict], line_lengths: list[int]) -> list[list[dict]]:
    """The aligned target words cut back into the lines they came from."""
    out, at = [], 0
    for n in line_lengths:
        out.append(rows[at : at + n])
        at += n
    return out
