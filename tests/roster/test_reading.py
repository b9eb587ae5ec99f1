import csv
from datetime import date

import openpyxl
import pytest
import xlwt

from apps.roster.columns import MappingError, find_header, load_mapping
from apps.roster.parse import parse_rows
from apps.roster.reader import UnreadableFile, read

ROWS = [
    ["2026년 1학기 원생 명단"],
    [],
    ["성명", "휴대폰", "보호자 연락처", "생년월일", "수강반", "상태", "비고"],
    ["김철수", 1012345678, "010-9876-5432", date(2015, 3, 2), "선수반, 실전반", "재원", ""],
    ["이영희", "01011112222", 1098765432.0, "2016.04.05", "실전반", "휴원", "알레르기"],
    ["", "", "", "", "", "", ""],
    ["", "010-1", "010-2222-3333", "2015-02-30", "기초반", "졸업", ""],
]


def write_xlsx(path, rows):
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)


def write_xls(path, rows):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("명단")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write(r, c, value, date_style) if isinstance(value, date) else ws.write(r, c, value)
    wb.save(str(path))


def write_csv(path, rows, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as handle:
        csv.writer(handle).writerows([["" if v is None else v for v in row] for row in rows])


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "csv", "csv-cp949"])
def test_every_format_reads_to_the_same_rows(tmp_path, fmt):
    path = tmp_path / f"roster.{fmt.split('-')[0]}"
    rows = [[v.isoformat() if isinstance(v, date) and fmt.startswith("csv") else v for v in row] for row in ROWS]
    {"xlsx": write_xlsx, "xls": write_xls, "csv": write_csv}[fmt.split("-")[0]](path, rows)
    if fmt == "csv-cp949":
        write_csv(path, rows, encoding="cp949")
    parsed = list(parse_rows(read(path)))
    assert [p.row_number for p in parsed] == [4, 5, 7]
    kim, lee, bad = parsed
    assert (kim.name, kim.phone, kim.guardian_phone, kim.birth_date) == (
        "김철수",
        "01012345678",
        "01098765432",
        date(2015, 3, 2),
    )
    assert kim.classes == ("선수반", "실전반") and kim.status == "active" and kim.ok
    assert (lee.phone, lee.guardian_phone, lee.birth_date, lee.status, lee.memo) == (
        "01011112222",
        "01098765432",
        date(2016, 4, 5),
        "paused",
        "알레르기",
    )
    assert {field for field, _ in bad.errors} == {"name", "phone", "birth_date", "status"}


def test_header_found_below_title_rows_and_unknown_headers_reported():
    header = find_header([["제목"], [], ["번호", "이름", "반", "학부모 연락처", "사물함"]])
    assert header.row_index == 2
    assert header.columns == {"name": 1, "classes": 2, "guardian_phone": 3}
    assert header.ignored == ("번호", "사물함")


def test_english_headers():
    header = find_header([["Name", "Guardian phone", "Birth date", "Class"]])
    assert set(header.columns) == {"name", "guardian_phone", "birth_date", "classes"}


def test_no_header_is_a_clear_error():
    with pytest.raises(MappingError, match="이름"):
        find_header([["a", "b"], [1, 2]])


def test_mapping_file_names_unknown_headers(tmp_path):
    mapping = tmp_path / "map.txt"
    mapping.write_text("원생 이름 = name\n# comment\n부모님 핸드폰: guardian_phone\n", encoding="utf-8")
    header = find_header([["원생 이름", "부모님 핸드폰"]], load_mapping(mapping))
    assert header.columns == {"name": 0, "guardian_phone": 1}
    bad = tmp_path / "bad.json"
    bad.write_text('{"원생": "nickname"}', encoding="utf-8")
    with pytest.raises(MappingError, match="nickname"):
        load_mapping(bad)


def test_unsupported_and_corrupt_files_are_refused(tmp_path):
    (tmp_path / "r.pdf").write_bytes(b"%PDF")
    with pytest.raises(UnreadableFile, match=r"\.pdf"):
        read(tmp_path / "r.pdf")
    (tmp_path / "r.xlsx").write_bytes(b"not a zip")
    with pytest.raises(UnreadableFile):
        read(tmp_path / "r.xlsx")


def test_a_student_needs_something_beyond_a_name(tmp_path):
    path = tmp_path / "r.csv"
    write_csv(path, [["이름", "반"], ["홍길동", "A반"]])
    (row,) = parse_rows(read(path))
    assert row.errors and row.errors[0][0] == "birth_date"
