from datetime import date

import pytest
from django.db import connection, transaction

from apps.academy.models import Class, Enrollment, Family, Guardian, GuardianLink, Student
from apps.academy.services import people
from apps.identity.models import Identity
from apps.ledger.models import Event
from apps.ledger.services import verify
from apps.roster.importing import Options, import_file

from .conftest import HEADER, write_xlsx

MESSY = [
    ["2026년 3월 원생 명단"],
    ["작성: 데스크"],
    HEADER,
    ["김민준", "2015.03.02", "", "김영희", "010-1234-5678", "서울초", "5", "선수반", "2026-03-02", "재원", ""],
    ["김서연", date(2017, 8, 9), "", "김영희", 1012345678, "서울초", "3", "실전반", "2026/3/2", "재원", ""],
    ["김민준 ", "15.03.02", "", "", "+82 10-1234-5678", "서울초", "5", "실전반", "", "재원", "두 번째 줄"],
    ["이하준", "", "010 5555 6666", "이수진", "010-2222-3333", "", "", "선수반/실전반", "20260302", "휴원", ""],
    ["박지우", "2014-11-30", "010-7777-8888", "", "", "한강중", "1", "", "", "퇴원", ""],
]


def run(path, **options):
    return import_file(path, options=Options(**options))


def test_one_person_one_profile_siblings_duplicates_and_classes(academy, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        report = run(path)
        assert report.applied and not report.rejected
        assert report.rows == 5 and report.students_created == 4 and report.merged == [(6, 4)]
        assert report.guardians_created == 2
        minjun = Student.objects.get(name="김민준")
        seoyeon = Student.objects.get(name="김서연")
        # Siblings on one guardian phone: two students, one guardian, one family.
        assert minjun.family_id == seoyeon.family_id
        guardian = Guardian.objects.get(phone_index=people.phone_index("01012345678"))
        assert set(GuardianLink.objects.filter(guardian=guardian).values_list("student__name", flat=True)) == {
            "김민준",
            "김서연",
        }
        # The same student on two rows: one profile with the union of the classes.
        assert set(Enrollment.objects.filter(student=minjun).values_list("klass__name", flat=True)) == {
            "선수반",
            "실전반",
        }
        assert minjun.memo == "두 번째 줄" and minjun.birth_date == date(2015, 3, 2)
        assert Enrollment.objects.get(student=minjun, klass__name="선수반").starts_on == date(2026, 3, 2)
        # 휴원: the student and the new enrollments paused; 퇴원: no enrollment.
        hajun = Student.objects.get(name="이하준")
        assert hajun.status == "paused" and hajun.phone == "01055556666"
        assert set(Enrollment.objects.filter(student=hajun).values_list("status", flat=True)) == {"paused"}
        jiwoo = Student.objects.get(name="박지우")
        assert jiwoo.status == "withdrawn" and not jiwoo.enrollments.exists() and not jiwoo.guardian_links.exists()
        # Every profile linked to the universal identity.
        assert not Student.objects.filter(identity_id__isnull=True).exists()
        assert not Guardian.objects.filter(identity_id__isnull=True).exists()
        ids = set(Student.objects.values_list("identity_id", flat=True)) | set(
            Guardian.objects.values_list("identity_id", flat=True)
        )
    assert Identity.objects.filter(id__in=ids).count() == 6
    with academy.t.context():
        kinds = list(Event.objects.values_list("kind", flat=True))
        assert kinds.count("student.created") == 4 and kinds.count("guardian.created") == 2
        # A new student's link and enrollments are inside their student.created event.
        assert kinds.count("enrollment.created") == 0 and kinds.count("guardian.linked") == 0
        created = Event.objects.get(kind="student.created", subject_id=str(minjun.pk))
        assert {e["klass"] for e in created.data["enrollments"]} == {"선수반", "실전반"}
        assert created.data["guardian"] == guardian.pk and created.data["rows"] == [4, 6]
        assert kinds.count("roster.imported") == 1 and verify().ok


def snapshot():
    return {
        "students": sorted(Student.objects.values_list("id", "name", "school", "status", "memo", "updated_at")),
        "guardians": sorted(Guardian.objects.values_list("id", "name", "updated_at")),
        "links": GuardianLink.objects.count(),
        "enrollments": sorted(Enrollment.objects.values_list("id", "status", "updated_at")),
        "families": Family.objects.count(),
        "classes": Class.objects.count(),
        "events": Event.objects.count(),
    }


def test_reimporting_the_same_file_changes_nothing(academy, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        run(path)
        before = snapshot()
        again = run(path)
        assert again.writes == 0 and again.events == 0 and not again.applied
        assert again.students_unchanged == 4 and again.students_created == again.students_updated == 0
        assert snapshot() == before


def test_existing_profiles_are_updated_not_duplicated(academy, tmp_path):
    with academy.t.context():
        existing = people.upsert_student(
            name="김민준", birth_date=date(2015, 3, 2), guardian_phone="010-1234-5678", school="옛날초"
        ).student
        # A profile made before identities existed is linked by the import.
        Student.objects.filter(pk=existing.pk).update(identity_id=None)
        path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
        report = run(path)
        assert report.students_created == 3 and report.students_updated == 1 and report.guardians_created == 1
        assert report.identities_linked == 1
        existing.refresh_from_db()
        assert existing.school == "서울초" and existing.identity_id is not None
        assert Student.objects.filter(name="김민준").count() == 1 and Guardian.objects.count() == 2
        assert Event.objects.filter(kind="student.updated", subject_id=str(existing.pk)).count() == 1
        # An existing student's new enrollments are events of their own.
        assert set(Event.objects.filter(kind="enrollment.created").values_list("data__klass", flat=True)) == {
            "선수반",
            "실전반",
        }


BAD = [
    HEADER,
    ["정상", "2015-01-01", "", "", "010-1111-2222", "", "", "선수반", "", "", ""],
    ["전화오류", "2015-01-01", "", "", "010-1", "", "", "", "", "", ""],
    ["날짜오류", "2015-02-30", "", "", "010-3333-4444", "", "", "", "", "", ""],
    ["", "2015-01-01", "", "", "010-5555-6666", "", "", "", "", "", ""],
    ["반오류", "2015-01-01", "", "", "010-7777-8888", "", "", "없는반", "", "", ""],
]


def test_a_real_import_is_all_or_nothing_and_names_each_rejected_row(academy, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", BAD)
    with academy.t.context():
        events = Event.objects.count()
        report = run(path)
        assert not report.applied
        assert Student.objects.count() == 0 and Guardian.objects.count() == 0 and Event.objects.count() == events
        problems = [(p.row, p.field) for p in report.rejected]
        assert problems == [(3, "guardian_phone"), (4, "birth_date"), (5, "name"), (6, "classes")]
        reasons = {p.row: p.reason for p in report.rejected}
        assert "010-1" in reasons[3] and "2015-02-30" in reasons[4] and "없는반" in reasons[6]
        assert report.rejected[0].values["이름"] == "전화오류"


def test_valid_only_imports_the_valid_rows(academy, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", BAD)
    with academy.t.context():
        report = run(path, valid_only=True)
        assert report.applied and report.rejected_rows == 4
        assert list(Student.objects.values_list("name", flat=True)) == ["정상"]
        assert Enrollment.objects.get().klass.name == "선수반"


def test_unknown_classes_are_created_when_asked(academy, tmp_path):
    rows = [
        HEADER,
        *([f"학생{i}", "2015-01-01", "", "", f"010-1000-{i:04d}", "", "", "새반", "", "", ""] for i in range(25)),
    ]
    path = write_xlsx(tmp_path / "new.xlsx", rows)
    with academy.t.context():
        report = run(path, create_classes=True)
        assert report.classes_created == ["새반"] and report.enrollments_created == 25
        klass = Class.objects.get(name="새반")
        assert klass.capacity >= 25 and klass.enrollments.count() == 25


def test_a_full_class_rejects_the_rows_beyond_its_capacity(academy, tmp_path):
    # 선수반 has 3 places.
    rows = [
        HEADER,
        *([f"학생{i}", "2015-01-01", "", "", f"010-1000-{i:04d}", "", "", "선수반", "", "", ""] for i in range(4)),
    ]
    path = write_xlsx(tmp_path / "full.xlsx", rows)
    with academy.t.context():
        report = run(path)
        assert not report.applied and [(p.row, p.field) for p in report.rejected] == [(5, "classes")]
        assert "선수반" in report.rejected[0].reason and "3" in report.rejected[0].reason


def test_dry_run_reports_and_writes_nothing(academy, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        events = Event.objects.count()
        report = run(path, dry_run=True)
        assert report.students_created == 4 and report.enrollments_created == 5 and not report.applied
        assert Student.objects.count() == 0 and Event.objects.count() == events
        assert [a[1] for a in report.actions].count("created") == 4


def test_namesakes_with_several_birth_dates_need_a_birth_date_on_each_row(academy, tmp_path):
    rows = [
        HEADER,
        ["김민준", "2015-01-01", "", "", "010-1234-5678", "", "", "", "", "", ""],
        ["김민준", "2016-01-01", "", "", "010-1234-5678", "", "", "", "", "", ""],
        ["김민준", "", "", "", "010-1234-5678", "", "", "", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "twins.xlsx", rows)
    with academy.t.context():
        report = run(path)
        assert [(p.row, p.field) for p in report.rejected] == [(4, "birth_date")]


@pytest.mark.parametrize("suffix", [".csv"])
def test_csv_files_import_the_same(academy, tmp_path, suffix):
    import csv

    path = tmp_path / f"roster{suffix}"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([[str(c) if c is not None else "" for c in row] for row in MESSY])
    with academy.t.context():
        report = run(path)
        assert report.applied and report.students_created == 4


def test_imported_people_are_the_same_identities_the_people_services_find(academy, tenants, tmp_path):
    """An import and a desk entry at another academy recognise the same guardian and child,
    and the registry lists both academies' profiles."""
    from apps.identity.models import IdentityLink

    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        run(path)
        minjun = Student.objects.get(name="김민준")
        hajun = Student.objects.get(name="이하준")
        mom = Guardian.objects.get(phone_index=people.phone_index("01012345678"))
        links = set(IdentityLink.objects.filter(schema_name=academy.t.schema).values_list("profile", "object_id"))
        assert ("academy.student", minjun.pk) in links and ("academy.guardian", mom.pk) in links
        assert len(links) == Student.objects.count() + Guardian.objects.count()
    with tenants["academy_b"].context():
        again = people.upsert_student(
            name="김민준", birth_date=date(2015, 3, 2), guardian_phone="010-1234-5678"
        ).student
        other_mom = Guardian.objects.get(family=again.family)
        # 이하준 has a phone of his own: that is what he is found by.
        also = people.upsert_student(name="이하준", phone="01055556666").student
    assert again.identity_id == minjun.identity_id and other_mom.identity_id == mom.identity_id
    assert also.identity_id == hajun.identity_id


def test_a_large_import_checks_the_roster_keys_once_per_table(academy, tmp_path, monkeypatch):
    """From BULK_KEY_CHECKS_FROM new rows on (here: any), the keys between the roster tables
    are dropped for the writes and added back, checked, before commit: the same result."""
    from contextlib import contextmanager

    from apps.core import foreign_keys
    from apps.roster import importing

    used = []

    @contextmanager
    def spy(models, **kwargs):
        with foreign_keys.checked_in_bulk(models, **kwargs) as in_bulk:
            used.append(in_bulk)
            yield in_bulk

    monkeypatch.setattr(importing, "BULK_KEY_CHECKS_FROM", 1)
    monkeypatch.setattr(importing, "checked_in_bulk", spy)
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        with connection.cursor() as cursor:
            keys = (
                "SELECT count(*) FROM pg_constraint WHERE contype = 'f' "
                "AND connamespace = current_schema()::regnamespace"
            )
            cursor.execute(keys)
            before = cursor.fetchone()[0]
            report = run(path)
            cursor.execute(keys)
            assert cursor.fetchone()[0] == before
        assert used == [True]
        assert report.applied and report.students_created == 4 and report.enrollments_created == 5
        minjun = Student.objects.get(name="김민준")
        assert set(Enrollment.objects.filter(student=minjun).values_list("klass__name", flat=True)) == {
            "선수반",
            "실전반",
        }
        assert GuardianLink.objects.filter(student=minjun, guardian__family=minjun.family).exists()
        assert verify().ok


def _counts():
    return {
        "students": Student.objects.count(),
        "guardians": Guardian.objects.count(),
        "links": GuardianLink.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "classes": Class.objects.count(),
    }


def _promised(report):
    return {
        "students": report.students_created,
        "guardians": report.guardians_created,
        "links": report.links_created,
        "enrollments": report.enrollments_created,
        "classes": len(report.classes_created),
    }


def test_valid_only_counts_a_place_only_for_a_row_it_imports(academy, tmp_path):
    """선수반 has 3 places. The first row asks for 선수반 and a class that no longer runs: it is
    rejected, so its place stays free and the three rows after it all get one."""
    with academy.t.context():
        Class.objects.create(programme=academy.programme, name="폐강반", is_active=False)
    rows = [
        HEADER,
        ["학생0", "2015-01-01", "", "", "010-1000-0000", "", "", "선수반, 폐강반", "", "", ""],
        *([f"학생{i}", "2015-01-01", "", "", f"010-1000-{i:04d}", "", "", "선수반", "", "", ""] for i in (1, 2, 3)),
        ["학생4", "2015-01-01", "", "", "010-1000-0004", "", "", "선수반", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "places.xlsx", rows)
    with academy.t.context():
        before = _counts()
        dry = run(path, valid_only=True, dry_run=True)
        dry_strict = run(path, dry_run=True)
        real = run(path, valid_only=True)
        after = _counts()
        assert [(p.row, p.field) for p in real.rejected] == [(2, "classes"), (6, "classes")]
        assert "폐강반" in real.rejected[0].reason and "선수반" in real.rejected[1].reason
        assert real.applied and real.enrollments_created == 3
        assert academy.klass.enrollments.count() == academy.klass.capacity == 3
        # The dry runs (with and without --valid-only) promised exactly what was written.
        written = {key: after[key] - before[key] for key in after}
        assert _promised(dry) == _promised(dry_strict) == _promised(real) == written
        assert [(p.row, p.reason) for p in dry.rejected] == [(p.row, p.reason) for p in real.rejected]
        assert [(p.row, p.reason) for p in dry_strict.rejected] == [(p.row, p.reason) for p in real.rejected]


def test_the_dry_run_of_a_messy_roster_promises_what_the_import_writes(academy, tmp_path):
    """The generated roster with broken rows, into small classes that fill up: the preview's
    counts are the rows the real import writes, table by table."""
    from apps.roster import generate

    path = generate.write(tmp_path / "300.xlsx", 300, errors=9, seed=7)
    with academy.t.context():
        for name in generate.CLASSES[:6]:
            Class.objects.create(programme=academy.programme, name=name, capacity=12)
        Class.objects.create(programme=academy.programme, name=generate.CLASSES[6], is_active=False)
        before = _counts()
        dry = run(path, valid_only=True, create_classes=True, dry_run=True)
        real = run(path, valid_only=True, create_classes=True)
        after = _counts()
        assert real.applied and real.rejected_rows > 9  # broken rows, full classes, the closed class
        assert _promised(dry) == _promised(real) == {key: after[key] - before[key] for key in after}
        assert dry.rejected_rows == real.rejected_rows and dry.students_updated == real.students_updated
        # A class that refused a row as full ends the import full, not below its capacity.
        from apps.academy.services.enrollment import full

        reasons = {p.reason for p in real.rejected}
        refused = {name for name in generate.CLASSES[:6] if full(name, capacity=12, taken=12) in reasons}
        assert refused
        for name in generate.CLASSES[:6]:
            taken = Class.objects.get(name=name).enrollments.count()
            assert taken == 12 if name in refused else taken <= 12, name


def test_the_imported_event_records_that_the_import_was_applied(academy, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        report = run(path)
        event = Event.objects.get(kind="roster.imported")
        assert report.applied and event.data["applied"] is True and event.data["dry_run"] is False
        assert event.data["students_created"] == 4 and event.data["enrollments_created"] == 5


def _as_spreadsheet_csv(xlsx, target):
    """The .csv a spreadsheet saves from this workbook: what each cell shows — a date column
    formatted as a number gives the serial, a grade shown with the format 0"학년" gives 1학년."""
    import csv

    import openpyxl

    from apps.roster.normalise import EXCEL_EPOCH

    sheet = openpyxl.load_workbook(xlsx).active
    with open(target, "w", newline="", encoding="utf-8-sig") as handle:
        out = csv.writer(handle)
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                value = cell.value
                if value is None:
                    cells.append("")
                elif hasattr(value, "year"):
                    cells.append(str((value.date() - EXCEL_EPOCH).days))
                elif cell.number_format == '0"학년"':
                    cells.append(f"{value}학년")
                elif isinstance(value, float) and value.is_integer():
                    cells.append(str(int(value)))
                else:
                    cells.append(str(value))
            out.writerow(cells)
    return target


@pytest.mark.parametrize("first", ["xlsx", "csv"])
def test_the_same_people_from_xlsx_and_from_its_csv_export_change_nothing(academy, tmp_path, first):
    import openpyxl

    rows = [
        HEADER,
        ["김민준", date(2015, 3, 2), "", "김영희", 1012345678, "서울초", 5, "선수반", date(2026, 3, 2), "재원", ""],
        ["김서연", date(2018, 1, 18), "", "김영희", "010-1234-5678", "서울초", 1, "실전반", "", "재원", ""],
        ["이하준", date(2012, 7, 1), 1055556666, "", "", "대치중", "중2", "실전반", "", "휴원", "형제 할인"],
        ["박지우", date(2014, 11, 30), "", "박엄마", "010-7777-8888", "", 3, "", "", "퇴원", ""],
    ]
    workbook = openpyxl.Workbook()
    for values in rows:
        workbook.active.append(values)
    for (cell,) in workbook.active.iter_rows(min_row=2, min_col=7, max_col=7):
        if isinstance(cell.value, int):
            cell.number_format = '0"학년"'
    xlsx = tmp_path / "roster.xlsx"
    workbook.save(xlsx)
    csv_path = _as_spreadsheet_csv(xlsx, tmp_path / "roster.csv")
    assert "43118" in csv_path.read_text(encoding="utf-8-sig") and "1학년" in csv_path.read_text(encoding="utf-8-sig")
    files = {"xlsx": xlsx, "csv": csv_path}
    second = "csv" if first == "xlsx" else "xlsx"
    with academy.t.context():
        report = run(files[first])
        assert report.applied and report.students_created == 4 and not report.rejected
        before = snapshot()
        again = run(files[second])
        assert not again.rejected and again.students_unchanged == 4
        assert again.writes == 0 and again.events == 0 and not again.applied
        assert snapshot() == before
        assert Student.objects.get(name="김서연").grade == "1" and Student.objects.get(name="이하준").grade == "중2"


@pytest.mark.parametrize("situation", ["open", "closed", "full"])
def test_the_importer_refuses_an_enrollment_as_the_enrollment_service_does(academy, tmp_path, situation):
    """One rule, two paths: the desk's enroll() and the importer accept and refuse the same
    enrollments with the same words."""
    from django.core.exceptions import ValidationError

    from apps.academy.services import enrollment

    with academy.t.context():
        klass = Class.objects.create(
            programme=academy.programme, name="규칙반", capacity=1, is_active=situation != "closed"
        )
        if situation == "full":
            taken = people.upsert_student(name="먼저온", birth_date=date(2014, 1, 1), guardian_phone="010-9999-0000")
            enrollment.enroll(taken.student, klass, starts_on=date(2026, 3, 2))
        desk = people.upsert_student(name="데스크", birth_date=date(2015, 1, 1), guardian_phone="010-9999-0001")
        try:
            with transaction.atomic():
                enrollment.enroll(desk.student, klass, starts_on=date(2026, 3, 2))
                raise _Undo
        except ValidationError as exc:
            service = exc.message_dict["klass"]
        except _Undo:
            service = []
    row = ["가져온", "2015-01-01", "", "", "010-9999-0002", "", "", "규칙반", "", "", ""]
    path = write_xlsx(tmp_path / "rule.xlsx", [HEADER, row])
    with academy.t.context():
        report = run(path, dry_run=True)
    assert [p.reason for p in report.rejected] == service
    assert report.enrollments_created == (0 if service else 1)


class _Undo(Exception):
    pass
