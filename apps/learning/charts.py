"""The report's chart of θ̂ and its standard error after each item, as inline SVG drawn on
the server: no script, nothing for the CSP to allow, readable without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
THETA_MIN, THETA_MAX = -4.0, 4.0


@dataclass
class Chart:
    width: int
    height: int
    band: str  # polygon points of θ ± SE
    line: str  # polyline points of θ
    dots: list[tuple[float, float, bool]]  # x, y, correct
    grid: list[tuple[float, str]]  # y, label
    xticks: list[tuple[float, str]]
    zero_y: float
    plot_left: int
    plot_right: int
    plot_bottom: int


def _y(theta: float) -> float:
    theta = min(THETA_MAX, max(THETA_MIN, theta))
    return TOP + (THETA_MAX - theta) / (THETA_MAX - THETA_MIN) * (HEIGHT - TOP - BOTTOM)


def theta_chart(log: list[dict]) -> Chart | None:
    """From the result's item log: one point per answer (pretest answers change nothing)."""
    if not log:
        return None
    n = len(log)
    span = WIDTH - LEFT - RIGHT

    def x(i: int) -> float:
        return LEFT + (span * (i + 0.5) / n)

    upper = [(x(i), _y(row["theta"] + row["se"])) for i, row in enumerate(log)]
    lower = [(x(i), _y(row["theta"] - row["se"])) for i, row in enumerate(log)]
    band = " ".join(f"{px:.1f},{py:.1f}" for px, py in [*upper, *reversed(lower)])
    line = " ".join(f"{x(i):.1f},{_y(row['theta']):.1f}" for i, row in enumerate(log))
    dots = [(x(i), _y(row["theta"]), bool(row["response"])) for i, row in enumerate(log)]
    grid = [(_y(t), f"{t:+.0f}" if t else "0") for t in (-3, -2, -1, 0, 1, 2, 3)]
    step = max(1, n // 10)
    xticks = [(x(i), str(i + 1)) for i in range(0, n, step)]
    return Chart(WIDTH, HEIGHT, band, line, dots, grid, xticks, _y(0), LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM)
