from datetime import date, datetime

import pytest

from apps.roster import normalise


@pytest.mark.parametrize(
    "value",
    [
        "010-1234-5678",
        "01012345678",
        "010 1234 5678",
        "+82 10-1234-5678",
        "+82-10-1234-5678",
        "82 10 1234 5678",
        1012345678,
        1012345678.0,
        "1012345678.0",
        "１０１２３４５６７８",
        " 010.1234.5678 ",
        "(010)1234-5678",
    ],
)
def test_every_common_form_of_a_mobile_number(value):
    assert normalise.phone(value) == "01012345678"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("02-123-4567", "021234567"),
        ("0212345678", "0212345678"),
        (212345678, "0212345678"),
        ("031-123-4567", "0311234567"),
    ],
)
def test_landlines(value, expected):
    assert normalise.phone(value) == expected


@pytest.mark.parametrize(
    "value", ["010-1234-567", "12345", "010-1234-56789", "+1 415 555 0100", "phone", 1012345678.5, "011"]
)
def test_invalid_phone_numbers_are_refused(value):
    with pytest.raises(ValueError):
        normalise.phone(value)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_phone_is_none(value):
    assert normalise.phone(value) is None


def test_display_phone():
    assert normalise.display_phone("01012345678") == "010-1234-5678"
    assert normalise.display_phone("021234567") == "02-123-4567"


@pytest.mark.parametrize(
    "value",
    [
        date(2015, 3, 2),
        datetime(2015, 3, 2, 0, 0),
        42065,
        42065.0,
        "2015.03.02",
        "2015.3.2",
        "2015. 3. 2.",
        "2015-03-02",
        "2015/3/2",
        "20150302",
        20150302,
        "15.03.02",
        "150302",
        "2015년 3월 2일",
        "２０１５－０３－０２",
    ],
)
def test_every_common_form_of_a_date(value):
    assert normalise.day(value, today=date(2026, 11, 23)) == date(2015, 3, 2)


def test_two_digit_years_are_never_in_the_future():
    assert normalise.day("99.12.31", today=date(2026, 11, 23)) == date(1999, 12, 31)
    assert normalise.day("26.01.05", today=date(2026, 11, 23)) == date(2026, 1, 5)


@pytest.mark.parametrize("value", ["2015-02-30", "2015.13.01", "20150230", "15.02.30", "어제", 1.5])
def test_impossible_or_unreadable_dates_are_refused(value):
    with pytest.raises(ValueError) as info:
        normalise.day(value)
    assert str(value) in str(info.value) or "date" in str(info.value)


def test_text_folds_full_width_and_spaces():
    assert normalise.text("  김　철수 ") == "김 철수"
    assert normalise.text("ＫＩＭ") == "KIM"
    assert normalise.text(3.0) == "3"
    assert normalise.text("   ") is None


def test_lists_split_on_commas_and_slashes_without_repeats():
    assert normalise.names_list("선수반, 실전반") == ("선수반", "실전반")
    assert normalise.names_list("선수반/실전반/선수반") == ("선수반", "실전반")
    assert normalise.names_list("  ") == ()


@pytest.mark.parametrize("value", ["43119", " 43119 ", "43119.0", 43119, 43119.0])
def test_a_date_given_as_a_spreadsheet_serial_in_text_reads_like_the_number(value):
    # What a spreadsheet writes to CSV for a date column formatted as a number.
    assert normalise.day(value) == date(2018, 1, 19)


@pytest.mark.parametrize("value", ["2015", "431", "431190.5", "4311"])
def test_short_numbers_in_text_are_not_taken_for_serials(value):
    # A year alone (2015) would be 1905-07-07 as a serial: refused, not misread.
    with pytest.raises(ValueError):
        normalise.day(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        (1, "1"),
        (1.0, "1"),
        ("1", "1"),
        ("1학년", "1"),
        ("1 학년", "1"),
        ("１학년", "1"),
        ("중2", "중2"),
        ("중 2학년", "중2"),
        ("중학교 2학년", "중2"),
        ("고3", "고3"),
        ("고등학교 3학년", "고3"),
        ("초등 4학년", "초4"),
        ("초4", "초4"),
        ("유치부", "유치부"),
        ("", None),
        (None, None),
    ],
)
def test_grades_in_every_form_are_one_value(value, expected):
    assert normalise.grade(value) == expected
