"""The portal's reads of sessions and attendance for children read through the guardian's own
scope (services.own_of_children) leave out the own-children subquery: they must give what
own() gives, and take own() for students read any other way."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.academy import models as m
from apps.portal import services
from tests.portal.conftest import Families
from tests.utils import grant, make_user


def _weeks(result) -> dict:
    return {
        kid: [(day.date, day.is_today, [_shown(x.session, x.attendance) for x in day.meetings]) for day in days]
        for kid, days in result.items()
    }


def _shown(session, mark) -> tuple:
    # What the pages show of a meeting or a mark (the SQL path loads only these fields).
    klass = session.klass
    mark_shown = mark and (mark.pk, mark.session_id, mark.student_id, mark.status, mark.checked_in_at)
    return (
        session.pk,
        session.date,
        session.starts_at,
        session.ends_at,
        session.status,
        klass.name,
        klass.room,
        mark_shown,
    )


def _history(marks) -> list:
    return [(_shown(a.session, a)[:3], a.session.klass.name) for a in marks]


def _unmarked(user) -> list[m.Student]:
    return list(services.children(user))  # the same rows, not marked: own() path


def _sql_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [q["sql"].lower() for q in captured.captured_queries]


def _same_reads(user, families: Families) -> None:
    fast_kids, slow_kids = services.own_children(user), _unmarked(user)
    assert [k.pk for k in fast_kids] == [k.pk for k in slow_kids]
    fast, slow = services.weeks(user, fast_kids), services.weeks(user, slow_kids)
    assert _weeks(fast) == _weeks(slow)
    assert any(day.meetings for days in fast.values() for day in days)  # (not two empty weeks)
    for kid in slow_kids:
        fast_rows = services.attendance_history(user, services.child(user, kid.pk))
        slow_rows = services.attendance_history(user, kid)
        assert _history(fast_rows) == _history(slow_rows)
    assert any(services.attendance_history(user, kid) for kid in slow_kids)


def test_the_fast_path_reads_what_own_reads(tenants, families: Families):
    with tenants["academy"].context():
        _same_reads(families.mom, families)
        _same_reads(families.dad, families)


def test_a_guardian_with_a_staff_role_too_reads_the_same_both_ways(tenants, families: Families):
    with tenants["academy"].context():
        grant(families.mom, "staff")
        _same_reads(families.mom, families)
        grant(families.dad, "coach")
        _same_reads(families.dad, families)


def test_marked_children_skip_the_own_children_subquery_and_unmarked_ones_do_not(tenants, families: Families):
    mom = families.mom
    with tenants["academy"].context():
        kids = services.own_children(mom)
        fast = _sql_of(lambda: services.weeks(mom, kids)) + _sql_of(lambda: services.attendance_history(mom, kids[0]))
        unmarked = _unmarked(mom)
        slow = _sql_of(lambda: services.weeks(mom, unmarked))
        assert not [q for q in fast if "guardianlink" in q]
        assert [q for q in slow if "guardianlink" in q and "academy_session" in q]


def test_children_marked_for_another_user_take_own(tenants, families: Families):
    with tenants["academy"].context():
        dads_kid = services.own_children(families.dad)[0]
        assert dads_kid.pk == families.hajun.pk
        unmarked = m.Student.objects.get(pk=dads_kid.pk)
        # Read as the mother's: own() keeps her from another family's child's marks (the
        # class's sessions she sees anyway: her own child is in the same class).
        assert _weeks(services.weeks(families.mom, [dads_kid])) == _weeks(services.weeks(families.mom, [unmarked]))
        assert services.attendance_history(families.mom, dads_kid) == []
        # The father's own read of the same child has them.
        assert services.attendance_history(families.dad, dads_kid)


def test_this_weeks_marks_and_a_cancelled_meeting_read_the_same_both_ways(tenants, families: Families):
    from apps.academy.services import attendance, schedule
    from tests.portal.conftest import monday

    with tenants["academy"].context():
        week = list(m.Session.objects.filter(klass=families.academy.klass, date__gte=monday()).order_by("date"))
        attendance.mark(week[0], families.minjun, "late", method=m.Attendance.Method.KIOSK)
        attendance.mark(week[0], families.hajun, "present")
        schedule.cancel_session(week[-1], reason="rain")
        fast = services.weeks(families.mom, services.own_children(families.mom))
        assert any(x.attendance for days in fast.values() for day in days for x in day.meetings)
        assert any(x.cancelled for days in fast.values() for day in days for x in day.meetings)
        _same_reads(families.mom, families)
        _same_reads(families.dad, families)


def test_the_guardian_and_pending_links_read_in_one_statement(tenants, families: Families):
    from apps.academy.services import people

    with tenants["academy"].context():
        dad = m.Guardian.objects.get(user=families.dad)
        for user in (families.mom, families.dad):
            guardian, pending = services.guardian_with_pending(user)
            assert (guardian.pk, guardian.name) == (
                services.guardian_profile(user).pk,
                services.guardian_profile(user).name,
            )
            assert pending == []
        people.link_guardian(dad, families.seoyeon, approved=False)
        people.link_guardian(dad, families.minjun, approved=False)
        guardian, pending = services.guardian_with_pending(families.dad)
        expected = list(services.links(families.dad).filter(status=m.GuardianLink.Status.PENDING))
        assert len(expected) == 2
        assert [(x.pk, x.student.name, x.created_at) for x in pending] == [
            (x.pk, x.student.name, x.created_at) for x in expected
        ]
        assert services.guardian_with_pending(families.mom)[1] == []  # another guardian's requests
        stranger = make_user("stranger")
        assert services.guardian_with_pending(stranger) == (None, [])
