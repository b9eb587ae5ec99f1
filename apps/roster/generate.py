"""A realistic, messy roster for demos and benchmarks: title rows above the header,
siblings sharing a parent's phone, students listed twice (another class on another row),
phone numbers and dates in every form people type (and Excel's own), full-width digits,
and optionally a few broken rows for the error report.

    python3 dev.py manage make_roster --rows 843 roster.xlsx
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import openpyxl

HEADER = [
    "번호",
    "성명",
    "생년월일",
    "휴대폰",
    "보호자",
    "보호자 연락처",
    "학교",
    "학년",
    "수강반",
    "등록일",
    "상태",
    "비고",
]
SURNAMES = "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진"
GIVEN = [
    "민준",
    "서준",
    "도윤",
    "예준",
    "시우",
    "하준",
    "주원",
    "지호",
    "지후",
    "준우",
    "준서",
    "건우",
    "현우",
    "도현",
    "우진",
    "선우",
    "서진",
    "연우",
    "유준",
    "정우",
    "서연",
    "서윤",
    "지우",
    "서현",
    "민서",
    "하은",
    "하윤",
    "윤서",
    "지유",
    "지민",
    "채원",
    "수아",
    "지아",
    "지윤",
    "다은",
    "은서",
    "예은",
    "수빈",
    "소율",
    "예린",
]
SCHOOLS = ["서울초", "한강초", "강남초", "푸른초", "새솔초", "대치중", "역삼중", "한빛중", "청담고", "단대부고"]
CLASSES = [
    "유소년 A반",
    "유소년 B반",
    "초등 선수반",
    "초등 실전반",
    "중등 선수반",
    "중등 실전반",
    "토요반",
    "기초반",
    "심화반",
    "골키퍼반",
    "여자반",
    "방학특강",
]
STATUSES = ["재원"] * 90 + ["휴원"] * 6 + ["퇴원"] * 4


def _phone(rng: random.Random, digits: str):
    form = rng.randrange(7)
    if form == 0:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if form == 1:
        return digits
    if form == 2:
        return int(digits)  # a number cell: the leading 0 is gone
    if form == 3:
        return float(int(digits))  # what some exports write
    if form == 4:
        return f"+82 {digits[1:3]}-{digits[3:7]}-{digits[7:]}"
    if form == 5:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return "０１０－" + digits[3:7] + "－" + digits[7:]  # full-width, as some phones' keyboards type


def _day(rng: random.Random, value: date):
    form = rng.randrange(7)
    if form == 0:
        return value  # a date cell
    if form == 1:
        return value.strftime("%Y.%m.%d")
    if form == 2:
        return value.isoformat()
    if form == 3:
        return f"{value.year}/{value.month}/{value.day}"
    if form == 4:
        return value.strftime("%Y%m%d")
    if form == 5:
        return value.strftime("%y.%m.%d")
    return (value - date(1899, 12, 30)).days  # an Excel serial that lost its date format


def rows(count: int, *, seed: int = 843, errors: int = 0, today: date | None = None) -> list[list]:
    """`count` data rows (plus the title and header rows). About one row in twenty
    repeats a student with another class; families have one to three children."""
    rng = random.Random(seed)  # noqa: S311  test data, not secrets
    today = today or date(2026, 3, 1)
    out: list[list] = [["2026학년도 원생 명단 (데스크 작성)"], [f"기준일: {today:%Y.%m.%d}"], [], HEADER]
    data: list[list] = []
    used_phones: set[str] = set()
    number = 0
    while len(data) < count:
        while True:
            guardian_digits = f"010{rng.randrange(10**8):08d}"
            if guardian_digits not in used_phones:
                used_phones.add(guardian_digits)
                break
        surname = rng.choice(SURNAMES)
        guardian_name = surname + rng.choice(GIVEN) if rng.random() < 0.8 else ""
        children = rng.choices([1, 2, 3], weights=[60, 30, 10])[0]
        for _child in range(children):
            if len(data) >= count:
                break
            name = surname + rng.choice(GIVEN)
            birth = date(2008, 1, 1) + timedelta(days=rng.randrange(365 * 10))
            own = f"010{rng.randrange(10**8):08d}" if birth.year < 2013 and rng.random() < 0.5 else None
            classes = rng.sample(CLASSES, rng.choices([1, 2], weights=[80, 20])[0])
            separator = rng.choice([", ", "/", ","])
            enrolled = today - timedelta(days=rng.randrange(900))
            status = rng.choice(STATUSES)
            number += 1
            row = [
                number,
                name if rng.random() < 0.9 else f" {name} ",
                _day(rng, birth),
                _phone(rng, own) if own else "",
                guardian_name,
                _phone(rng, guardian_digits),
                rng.choice(SCHOOLS),
                str(rng.randrange(1, 7)),
                separator.join(classes),
                _day(rng, enrolled),
                status,
                rng.choice(["", "", "", "알레르기 있음", "형제 할인", "차량 이용"]),
            ]
            data.append(row)
            if rng.random() < 0.05 and len(data) < count:
                # The same student again further down, with another class and another phone form.
                again = list(row)
                again[0] = ""
                again[5] = _phone(rng, guardian_digits)
                again[8] = rng.choice([c for c in CLASSES if c not in classes])
                again[9] = ""
                data.append(again)
    rng.shuffle(data)
    for index in range(min(errors, len(data))):
        row = list(data[index * (len(data) // max(errors, 1))])
        kind = index % 3
        if kind == 0:
            row[5] = "010-12-345"  # too short
        elif kind == 1:
            row[2] = "2015.02.30"  # no such day
        else:
            row[1] = ""  # no name
        data[index * (len(data) // max(errors, 1))] = row
    return out + data


def write(path: str | Path, count: int, *, seed: int = 843, errors: int = 0) -> Path:
    path = Path(path)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("원생")
    for row in rows(count, seed=seed, errors=errors):
        sheet.append(row)
    workbook.save(path)
    return path
