"""Charts as inline SVG drawn on the server (like learning's report): a learner's scores
over their takes, and bars for a dance take's body parts and beats. No script, nothing for
the CSP to allow, readable without JavaScript."""

from __future__ import annotations

WIDTH, HEIGHT = 560, 180
LEFT, RIGHT, TOP, BOTTOM = 36, 10, 10, 24


def _y(score: float) -> float:
    return TOP + (100 - max(0.0, min(100.0, score))) / 100 * (HEIGHT - TOP - BOTTOM)


def score_chart(takes, limit: int = 30) -> dict | None:
    """Scores 0–100 of the finished takes, oldest first (the last `limit`)."""
    rows = [t for t in takes if t.score is not None][-limit:]
    if not rows:
        return None
    n = len(rows)
    span = WIDTH - LEFT - RIGHT

    def x(i: int) -> float:
        return LEFT + span * (i + 0.5) / n

    points = [
        {"x": round(x(i), 1), "y": round(_y(t.score), 1), "score": t.score, "take": t.pk, "at": t.created_at}
        for i, t in enumerate(rows)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "points": points,
        "grid": [{"y": round(_y(v), 1), "label": v} for v in (0, 25, 50, 75, 100)],
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "best": max(t.score for t in rows),
        "last": rows[-1].score,
        "count": n,
    }


def bars(values: list[tuple[str, float]], width: int = 420, row: int = 22) -> dict | None:
    """Horizontal bars for (label, score 0–100) pairs."""
    if not values:
        return None
    label_w = 120
    span = width - label_w - 50
    items = [
        {"label": label, "y": i * row, "w": round(span * max(0.0, min(100.0, v)) / 100, 1), "value": round(v, 1)}
        for i, (label, v) in enumerate(values)
    ]
    return {
        "width": width,
        "height": row * len(values),
        "label_w": label_w,
        "items": items,
        "text_x": label_w + span + 6,
    }
