import openpyxl
import pytest

from tests.academy.conftest import build_academy


@pytest.fixture
def academy(tenants, db):
    return build_academy(tenants["academy"])


def write_xlsx(path, rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


HEADER = [
    "이름",
    "생년월일",
    "학생 연락처",
    "학부모 이름",
    "학부모 연락처",
    "학교",
    "학년",
    "반",
    "등록일",
    "상태",
    "메모",
]
