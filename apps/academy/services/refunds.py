"""The refund rule of 학원의 설립·운영 및 과외교습에 관한 법률 시행령 별표4, for a course of
one month or less:

- before the course starts: the whole fee;
- before one third of the instruction has elapsed: two thirds of the fee;
- before half has elapsed: half of the fee;
- after half has elapsed: nothing.

"Elapsed" counts instruction, not calendar days: for a monthly plan, the class meetings of
the billed month (timetable minus holidays and cancellations, plus make-ups) that fall
before the withdrawal date; for a pass, the sessions of the pass the student has used.
Fractions are exact, so "before one third" is decided without rounding, and the refund is
rounded down to the won.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class RefundDecision:
    fraction: Fraction
    amount: int
    elapsed: int
    total: int
    rule: str


def refund_fraction(elapsed: int, total: int) -> tuple[Fraction, str]:
    if total <= 0 or elapsed <= 0:
        return Fraction(1), "before_start"
    share = Fraction(elapsed, total)
    if share < Fraction(1, 3):
        return Fraction(2, 3), "before_one_third"
    if share < Fraction(1, 2):
        return Fraction(1, 2), "before_half"
    return Fraction(0), "after_half"


def decide(fee: int, elapsed: int, total: int) -> RefundDecision:
    fraction, rule = refund_fraction(elapsed, total)
    return RefundDecision(fraction, int(fee * fraction), elapsed, total, rule)
