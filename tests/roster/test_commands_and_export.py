from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.academy.models import Enrollment, Guardian, Student
from apps.audit.models import AuditEntry
from apps.ledger.models import Event
from apps.roster import generate
from apps.roster.exporting import export_xlsx
from apps.roster.importing import Options, import_file
from apps.roster.reader import read

from .conftest import HEADER, write_xlsx
from .test_importing import BAD, MESSY, snapshot


def test_import_students_command_prints_the_summary_and_errors(academy, tmp_path, capsys):
    bad = write_xlsx(tmp_path / "bad.xlsx", BAD)
    with pytest.raises(CommandError) as failure:
        call_command("import_students", str(bad), "--schema", academy.t.tenant.schema_name)
    assert failure.value.returncode == 2
    out = capsys.readouterr().out
    assert "row 3 [guardian_phone]" in out and "row 6 [classes]" in out
    with academy.t.context():
        assert Student.objects.count() == 0

    good = write_xlsx(tmp_path / "good.xlsx", MESSY)
    call_command("import_students", str(good), "--schema", academy.t.tenant.schema_name, "--dry-run")
    assert "students_created: 4" in capsys.readouterr().out
    with academy.t.context():
        assert Student.objects.count() == 0
    call_command("import_students", str(good), "--schema", academy.t.tenant.schema_name)
    assert "Imported" in capsys.readouterr().out
    with academy.t.context():
        assert Student.objects.count() == 4


def test_the_command_refuses_a_schema_that_is_not_an_academy(tenants, db, tmp_path):
    path = write_xlsx(tmp_path / "good.xlsx", MESSY)
    with pytest.raises(CommandError, match="No academy"):
        call_command("import_students", str(path), "--schema", tenants["zone"].tenant.schema_name)


def test_mapping_file_names_unknown_headers(academy, tmp_path):
    path = write_xlsx(
        tmp_path / "odd.xlsx",
        [["원생 이름", "엄마 번호", "탄생일"], ["김민준", "010-1234-5678", "2015-03-02"]],
    )
    mapping = tmp_path / "mapping.txt"
    mapping.write_text("원생 이름 = name\n엄마 번호 = guardian_phone\n탄생일 = birth_date\n", encoding="utf-8")
    call_command("import_students", str(path), "--schema", academy.t.tenant.schema_name, "--mapping", str(mapping))
    with academy.t.context():
        assert Student.objects.get().birth_date == date(2015, 3, 2)


def test_export_then_reimport_changes_nothing(academy, tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        import_file(path, options=Options())
        before = snapshot()
        out = tmp_path / "export.xlsx"
        assert export_xlsx(out, actor="test") == 4
        sheet = read(out)
        assert sheet.rows[0] == HEADER
        entry = AuditEntry.objects.get(action="data.exported")
        assert entry.details["rows"] == 4
        before["events"] = Event.objects.count()
        again = import_file(out, options=Options())
        assert again.writes == 0 and again.events == 0 and not again.rejected
        assert snapshot() == before


def test_the_generated_roster_imports_as_one_profile_per_person(academy, tmp_path):
    path = generate.write(tmp_path / "843.xlsx", 843, errors=6)
    with academy.t.context():
        strict = import_file(path, options=Options(create_classes=True))
        assert not strict.applied and strict.rejected_rows == 6 and Student.objects.count() == 0
        report = import_file(path, options=Options(create_classes=True, valid_only=True))
        assert report.applied and report.merged  # duplicates folded into one profile
        students = Student.objects.count()
        assert students == report.students_created and students < 843 - 6
        # Siblings: fewer guardians than students, and no student without an identity.
        assert Guardian.objects.count() < students
        assert not Student.objects.filter(identity_id__isnull=True).exists()
        assert Enrollment.objects.count() == report.enrollments_created
        again = import_file(path, options=Options(create_classes=True, valid_only=True))
        assert again.writes == 0 and again.events == 0


def test_the_student_admin_exports_the_selected_students(academy, member, tmp_path):
    import io

    import openpyxl

    path = write_xlsx(tmp_path / "roster.xlsx", MESSY)
    with academy.t.context():
        import_file(path, options=Options())
        chosen = list(Student.objects.filter(name__in=["김민준", "김서연"]).values_list("pk", flat=True))
    _user, client = member("academy", "staff")
    response = client.post(
        "/admin/academy/student/", {"action": "export_roster", "_selected_action": [str(pk) for pk in chosen]}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "이름" and sorted(r[0] for r in rows[1:]) == ["김민준", "김서연"]
    # A coach may read students but not export them: the action is not offered.
    _coach, coach_client = member("academy", "coach")
    refused = coach_client.post(
        "/admin/academy/student/", {"action": "export_roster", "_selected_action": [str(pk) for pk in chosen]}
    )
    assert not refused.get("Content-Type", "").startswith("application/vnd.openxml")
