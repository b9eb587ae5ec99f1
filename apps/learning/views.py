"""The zone's web app (app. host), server-rendered: a student takes exams and reads the
report with its chart of θ and SE over the items; a teacher sees their classes, the item
bank (with the spreadsheet import) and each exam's results; a parent reads the reports of
the children of approved links. Every write calls the services; every read goes through
the same row scopes as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts.permissions import has_permission
from apps.accounts.scoping import can_access, get_visible_or_404, visible_to

from .charts import theta_chart
from .forms import ClassForm, EnrollForm, ExamForm, ItemForm, put_errors
from .models import Attempt, Enrollment, Exam, Item, Klass, Organisation, StaffMembership, Student
from .services import attempts, items_io
from .services import exams as exam_svc
from .services import items as item_svc
from .services import people as people_svc
from .services.links import children_of


def _student(request) -> Student | None:
    return Student.objects.filter(user=request.user).first()


def _open_exams(student: Student):
    return [exam for exam in Exam.objects.filter(status=Exam.Status.PUBLISHED) if attempts.may_take(exam, student)]


@login_required
def dashboard(request):
    user = request.user
    student = _student(request)
    context = {
        "student": student,
        "exams": _open_exams(student) if student else [],
        "my_attempts": student.attempts.select_related("exam")[:20] if student else [],
        "classes": list(visible_to(Klass.objects.all(), user, "class:read"))
        if has_permission(user, "class:read")
        else [],
        "children": children_of(user) if has_permission(user, "link:create") else [],
        "pending_links": student.parent_links.filter(status="pending").select_related("parent") if student else [],
        "can_teach": has_permission(user, "item:read") or has_permission(user, "exam:update"),
        "rooms": _open_rooms(student) if student else [],
    }
    if context["children"]:
        context["child_attempts"] = (
            visible_to(Attempt.objects.select_related("exam", "student"), user, "report:read")
            .exclude(status=Attempt.Status.ACTIVE)
            .order_by("-finished_at")[:30]
        )
    return render(request, "learning/dashboard.html", context)


def _open_rooms(student: Student):
    from .models import LiveRoom

    return (
        LiveRoom.objects.filter(klass__enrollments__student=student, klass__enrollments__is_active=True)
        .exclude(status=LiveRoom.Status.ENDED)
        .select_related("exam", "klass")
    )


@login_required
@require_POST
def start_exam(request, pk: int):
    student = _student(request)
    if student is None:
        raise Http404
    exam = get_object_or_404(Exam, pk=pk)
    try:
        step, _created = attempts.start(exam, student, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("learning:dashboard")
    return redirect("learning:attempt", pk=step.attempt.pk)


def _own_attempt(request, pk: int) -> Attempt:
    attempt = get_visible_or_404(Attempt.objects.select_related("exam", "student"), request.user, "attempt:read", pk=pk)
    if attempt.student.user_id != request.user.pk:
        raise Http404
    return attempt


@login_required
def attempt_page(request, pk: int):
    """The item being asked now (the same one after a reload or a lost connection)."""
    attempt = _own_attempt(request, pk)
    step = attempts.current(attempt)
    if step.finished:
        return redirect("learning:report", pk=attempt.pk)
    remaining = None
    if step.attempt.deadline is not None:
        remaining = max(0, int((step.attempt.deadline - timezone.now()).total_seconds()))
    return render(
        request, "learning/attempt.html", {"attempt": step.attempt, "item": step.item, "remaining": remaining}
    )


@login_required
@require_POST
def answer(request, pk: int):
    attempt = _own_attempt(request, pk)
    try:
        step = attempts.answer(
            attempt,
            item_id=int(request.POST.get("item") or 0),
            answer=request.POST.get("answer", ""),
            actor=request.user,
            request=request,
        )
    except (ValidationError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("learning:attempt", pk=pk)
    if step.finished:
        return redirect("learning:report", pk=pk)
    return redirect("learning:attempt", pk=pk)


@login_required
@require_POST
def submit(request, pk: int):
    attempts.submit(_own_attempt(request, pk), actor=request.user, request=request)
    return redirect("learning:report", pk=pk)


@login_required
def report(request, pk: int):
    """θ, SE, scaled score, percentile, areas, the item log and the chart — for the student,
    their teachers, their organisation and their parents (approved links)."""
    # attempt:read: every role that reads reports holds it (a student only for their own).
    attempt = get_visible_or_404(Attempt.objects.select_related("exam", "student"), request.user, "attempt:read", pk=pk)
    attempt = attempts.expire_if_due(attempt)
    if attempt.is_active:
        if attempt.student.user_id == request.user.pk:
            return redirect("learning:attempt", pk=pk)
        raise Http404
    result = attempt.result or {}
    log = result.get("log", [])
    return render(
        request,
        "learning/report.html",
        {"attempt": attempt, "areas": result.get("areas", []), "log": log, "chart": theta_chart(log)},
    )


# ---------------------------------------------------------------------------- teachers


@login_required
def items_page(request):
    if not has_permission(request.user, "item:read"):
        raise Http404
    rows = visible_to(Item.objects.all(), request.user, "item:read").order_by("area", "code")
    report = None
    if request.method == "POST":
        if not has_permission(request.user, "item:create"):
            raise Http404
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a file."))
        else:
            report = items_io.import_items(
                upload.read(), filename=upload.name, dry_run=bool(request.POST.get("dry_run")), actor=request.user
            )
            if not report.errors and not report.dry_run:
                messages.success(
                    request, _("Imported: %(c)d new, %(u)d updated.") % {"c": report.created, "u": report.updated}
                )
    return render(
        request,
        "learning/items.html",
        {
            "items": rows[:500],
            "count": rows.count(),
            "report": report,
            "can_create": has_permission(request.user, "item:create"),
            "can_edit": has_permission(request.user, "item:update"),
        },
    )


def _item_page(request, item: Item | None, save):
    """The item form: `save(**values)` is the service's create or update; its errors are
    shown under their fields and nothing is written."""
    form = ItemForm(request.POST) if request.method == "POST" else (ItemForm.of(item) if item else ItemForm())
    if request.method == "POST" and form.is_valid():
        try:
            item = save(**form.values())
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Item %(code)s saved.") % {"code": item.code})
            return redirect("learning:item", pk=item.pk)
    return render(request, "learning/item_form.html", {"form": form, "item": item})


@login_required
def item_new(request):
    """A new item, through services/items.py:create_item."""
    if not has_permission(request.user, "item:create"):
        raise Http404
    return _item_page(request, None, lambda **values: item_svc.create_item(actor=request.user, **values))


@login_required
def item_edit(request, pk: int):
    """An item of the user's scope, changed through services/items.py:update_item."""
    if not has_permission(request.user, "item:update"):
        raise Http404
    item = get_visible_or_404(Item.objects.all(), request.user, "item:update", pk=pk)
    return _item_page(request, item, lambda **values: item_svc.update_item(item, actor=request.user, **values))


@login_required
def exam_results(request, pk: int):
    exam = get_visible_or_404(Exam.objects.all(), request.user, "exam:read", pk=pk)
    if not has_permission(request.user, "report:read"):
        raise Http404
    rows = visible_to(Attempt.objects.filter(exam=exam).select_related("student"), request.user, "report:read")
    return render(request, "learning/exam_results.html", {"exam": exam, "attempts": rows.order_by("-started_at")[:200]})


@login_required
def exams_page(request):
    if not has_permission(request.user, "exam:update"):
        raise Http404
    rows = visible_to(Exam.objects.all(), request.user, "exam:read")
    editable = set(visible_to(rows, request.user, "exam:update").values_list("pk", flat=True))
    return render(
        request,
        "learning/exams.html",
        {"exams": rows, "editable": editable, "can_create": has_permission(request.user, "exam:create")},
    )


def _offered_items(user, exam: Exam | None = None):
    """What a fixed form may be made of on the page: the live items the user sees (and the
    exam's own, whatever their status now)."""
    rows = visible_to(Item.objects.all(), user, "item:read")
    chosen = exam.exam_items.values("item_id") if exam is not None else []
    return rows.filter(Q(status=Item.Status.LIVE) | Q(pk__in=chosen)).order_by("area", "code")


def _chosen_items(form: ExamForm, offered) -> list[Item]:
    """The ticked items in the order the page lists them (area, code)."""
    return list(offered.filter(pk__in=form.cleaned_data["items"]))


@login_required
def exam_new(request):
    """A new exam (services/exams.py:create_exam), for one of the user's classes or the
    whole zone; a fixed form's items chosen at once (set_items), in one transaction."""
    if not has_permission(request.user, "exam:create"):
        raise Http404
    classes = visible_to(Klass.objects.select_related("organisation"), request.user, "class:read")
    offered = _offered_items(request.user)
    form = ExamForm(request.POST or None, classes=classes, items=offered)
    if request.method == "POST" and form.is_valid():
        klass = classes.filter(pk=form.cleaned_data["klass"]).first() if form.cleaned_data["klass"] else None
        organisation = None if klass else _administered_organisation(request.user)
        try:
            with transaction.atomic():
                exam = exam_svc.create_exam(actor=request.user, organisation=organisation, klass=klass, **form.values())
                chosen = _chosen_items(form, offered)
                if exam.kind == Exam.Kind.FIXED and chosen:
                    exam_svc.set_items(exam, chosen, actor=request.user)
        except ValidationError as exc:
            put_errors(form, exc)
        else:
            messages.success(request, _("Exam %(title)s saved.") % {"title": exam.title})
            if can_access(exam, request.user, "exam:update"):
                return redirect("learning:exam-edit", pk=exam.pk)
            return redirect("learning:exams")
    return render(request, "learning/exam_form.html", {"form": form, "exam": None})


def _administered_organisation(user) -> Organisation | None:
    """The one organisation the user administers, if exactly one. An organisation's
    administrator reads exams within it (own_org), so a class-less exam they write is their
    organisation's — with no organisation it would be the zone's and out of their sight."""
    administered = list(
        Organisation.objects.filter(staff__user=user, staff__kind=StaffMembership.Kind.ADMIN).distinct()[:2]
    )
    return administered[0] if len(administered) == 1 else None


@login_required
def exam_edit(request, pk: int):
    """An exam of the user's scope: its fields (only those changed go to update_exam: a
    published exam refuses any change of kind, areas or CAT settings) and a fixed form's
    items (set_items when the list changed), in one transaction."""
    if not has_permission(request.user, "exam:update"):
        raise Http404
    exam = get_visible_or_404(Exam.objects.all(), request.user, "exam:update", pk=pk)
    offered = _offered_items(request.user, exam)
    if request.method != "POST":
        form = ExamForm.of(exam, items=offered)
    else:
        form = ExamForm(request.POST, items=offered)
        if form.is_valid():
            changed = {k: v for k, v in form.values().items() if getattr(exam, k) != v}
            chosen = _chosen_items(form, offered)
            current = list(exam.exam_items.values_list("item_id", flat=True))
            try:
                with transaction.atomic():
                    if changed:
                        exam = exam_svc.update_exam(exam, actor=request.user, **changed)
                    if exam.kind == Exam.Kind.FIXED and [i.pk for i in chosen] != current:
                        exam_svc.set_items(exam, chosen, actor=request.user)
            except ValidationError as exc:
                exam.refresh_from_db()
                put_errors(form, exc)
            else:
                messages.success(request, _("Exam %(title)s saved.") % {"title": exam.title})
                return redirect("learning:exam-edit", pk=exam.pk)
    return render(
        request,
        "learning/exam_form.html",
        {"form": form, "exam": exam, "can_publish": can_access(exam, request.user, "exam:publish")},
    )


@login_required
@require_POST
def exam_status(request, pk: int, action: str):
    """Publish or close an exam (exam:publish, services/exams.py:publish/close)."""
    if not has_permission(request.user, "exam:publish"):
        raise Http404
    exam = get_visible_or_404(Exam.objects.all(), request.user, "exam:publish", pk=pk)
    try:
        exam = (exam_svc.publish if action == "publish" else exam_svc.close)(exam, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The exam is now: %(status)s.") % {"status": exam.get_status_display()})
    return redirect("learning:exam-edit", pk=exam.pk)


# ---------------------------------------------------------------------------- classes


def _staff_teachers(organisations):
    """The users teaching at `organisations` (a class's teachers are chosen from them)."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            learning_staff__organisation__in=organisations, learning_staff__kind=StaffMembership.Kind.TEACHER
        )
        .distinct()
        .order_by("display_name", "username")
    )


def _chosen_teachers(form: ClassForm, offered) -> list:
    return list(offered.filter(pk__in=form.cleaned_data["teachers"]))


@login_required
def classes_page(request):
    """The classes of the user's scope; whoever holds class:create (org_admin, zone_admin)
    creates one for an organisation they see (services/people.py:create_class)."""
    user = request.user
    if not has_permission(user, "class:read"):
        raise Http404
    rows = (
        visible_to(Klass.objects.all(), user, "class:read")
        .select_related("organisation")
        .prefetch_related("teachers")
        .annotate(students=Count("enrollments", filter=Q(enrollments__is_active=True)))
    )
    form = None
    if has_permission(user, "class:create"):
        organisations = visible_to(Organisation.objects.all(), user, "org:read").order_by("name")
        teachers = _staff_teachers(organisations)
        form = ClassForm(request.POST or None, organisations=organisations, teachers=teachers)
        if request.method == "POST" and form.is_valid():
            organisation = organisations.get(pk=form.cleaned_data["organisation"])
            try:
                klass = people_svc.create_class(
                    organisation=organisation,
                    name=form.cleaned_data["name"],
                    teachers=_chosen_teachers(form, teachers),
                    actor=user,
                )
            except ValidationError as exc:
                put_errors(form, exc)
            else:
                messages.success(request, _("Class %(name)s created.") % {"name": klass.name})
                return redirect("learning:class", pk=klass.pk)
    elif request.method == "POST":
        raise Http404
    return render(request, "learning/classes.html", {"classes": rows, "form": form})


@login_required
def class_page(request, pk: int):
    """A class of the user's scope: its teachers and students; whoever may update it
    (class:update in their scope) renames it, sets its teachers, enrolls a student of its
    organisation (by e-mail or picked) and ends an enrollment — each a service call."""
    user = request.user
    if not has_permission(user, "class:read"):
        raise Http404
    klass = get_visible_or_404(Klass.objects.select_related("organisation"), user, "class:read", pk=pk)
    may_update = can_access(klass, user, "class:update")
    if request.method == "POST" and not may_update:
        raise Http404
    teachers = _staff_teachers([klass.organisation_id])
    students = visible_to(Student.objects.select_related("user"), user, "student:read").filter(
        organisation=klass.organisation_id
    )
    action = request.POST.get("action") if request.method == "POST" else None
    current = list(klass.teachers.values_list("pk", flat=True))
    form = ClassForm(
        request.POST if action == "update" else None,
        teachers=teachers,
        initial={"name": klass.name, "teachers": current},
    )
    enroll_form = EnrollForm(request.POST if action == "enroll" else None, students=students.order_by("name"))
    try:
        if action == "update" and form.is_valid():
            saved = people_svc.update_class(
                klass, name=form.cleaned_data["name"], teachers=_chosen_teachers(form, teachers), actor=user
            )
            messages.success(request, _("Class %(name)s saved.") % {"name": saved.name})
            return redirect("learning:class", pk=klass.pk)
        if action == "enroll" and enroll_form.is_valid():
            data = enroll_form.cleaned_data
            found = (
                students.filter(user__email__iexact=data["email"])
                if data["email"]
                else students.filter(pk=data["student"])
            ).first()
            if found is None:
                enroll_form.add_error(
                    "email", _("No student of %(org)s has this e-mail.") % {"org": klass.organisation}
                )
            else:
                people_svc.enroll(klass, found, actor=user)
                messages.success(request, _("%(name)s is in the class.") % {"name": found.name})
                return redirect("learning:class", pk=klass.pk)
        if action == "unenroll":
            try:
                student_pk = int(request.POST.get("student") or 0)
            except ValueError:
                raise Http404 from None
            student = get_visible_or_404(students, user, "student:read", pk=student_pk)
            people_svc.unenroll(klass, student, actor=user)
            messages.success(request, _("%(name)s left the class.") % {"name": student.name})
            return redirect("learning:class", pk=klass.pk)
    except ValidationError as exc:
        klass.refresh_from_db()
        put_errors(enroll_form if action == "enroll" else form, exc)
    enrolled = (
        Enrollment.objects.filter(klass=klass, is_active=True).select_related("student__user").order_by("student__name")
    )
    return render(
        request,
        "learning/class.html",
        {
            "klass": klass,
            "teachers": klass.teachers.order_by("display_name", "username"),
            "enrolled": enrolled,
            "may_update": may_update,
            "form": form,
            "enroll_form": enroll_form,
        },
    )


# ---------------------------------------------------------------------------- live rooms


def _teacher_classes(user):
    return visible_to(Klass.objects.all(), user, "class:read")


@login_required
def rooms_page(request):
    """A teacher's live rooms, and opening one for a class and an exam."""
    from .models import LiveRoom
    from .services import rooms

    if not (has_permission(request.user, "exam:update") and has_permission(request.user, "class:read")):
        raise Http404
    classes = _teacher_classes(request.user)
    exams = visible_to(Exam.objects.filter(status=Exam.Status.PUBLISHED), request.user, "exam:read")
    if request.method == "POST":
        klass = classes.filter(pk=request.POST.get("klass") or 0).first()
        exam = exams.filter(pk=request.POST.get("exam") or 0).first()
        try:
            minutes = int(request.POST.get("minutes") or 0)
        except ValueError:
            minutes = 0
        if klass is None or exam is None:
            messages.error(request, _("Choose one of your classes and a published exam."))
        else:
            try:
                room = rooms.open_room(exam=exam, klass=klass, duration_seconds=minutes * 60, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                return redirect("learning:room", pk=room.pk)
    rows = LiveRoom.objects.filter(klass__in=classes).select_related("exam", "klass")[:50]
    return render(request, "learning/rooms.html", {"rooms": rows, "classes": classes, "exams": exams})


@login_required
def room_page(request, pk: int):
    """The teacher's live view of a room: its state, each student's progress and presence,
    and the start/pause/resume/extend/end buttons, over ws/learning/rooms/<id>/."""
    from .models import LiveRoom

    if not has_permission(request.user, "exam:update"):
        raise Http404
    room = get_object_or_404(
        LiveRoom.objects.select_related("exam", "klass"), pk=pk, klass__in=_teacher_classes(request.user)
    )
    return render(request, "learning/room.html", {"room": room})


@login_required
@require_POST
def join_room(request, pk: int):
    from .models import LiveRoom
    from .services import rooms

    student = _student(request)
    room = get_object_or_404(LiveRoom, pk=pk)
    if student is None or not rooms.is_member(room, student):
        raise Http404
    try:
        attempt = rooms.join(room, student, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("learning:dashboard")
    if attempt is None:
        messages.info(request, _("The room has not started yet: join again when your teacher starts it."))
        return redirect("learning:dashboard")
    return redirect("learning:attempt", pk=attempt.pk)
