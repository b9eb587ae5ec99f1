"""The academy back office. Every save that is a business step goes through the services,
so the admin writes the same ledger events and sends the same notifications as the API."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.accounts.admin_mixins import PermissionAdminMixin
from apps.core.admin import ReadOnlyInline
from apps.core.admin_pages import PageColumnsMixin
from apps.core.normalise import display_phone

from . import models as m
from .services import attendance, billing, consultations, enrollment, feedback, people, schedule, vindex
from .services.people import phone_index


def _errors(request, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        messages.error(request, f"{field}: {' '.join(errors)}")


class GuardianLinkInline(admin.TabularInline):
    model = m.GuardianLink
    extra = 0
    fields = ["guardian", "relation", "is_primary", "status"]
    autocomplete_fields = ["guardian"]


class EnrollmentInline(ReadOnlyInline):
    model = m.Enrollment
    fk_name = "student"
    fields = ["klass", "starts_on", "ends_on", "plan", "monthly_fee", "status"]
    show_change_link = True


@admin.register(m.Family)
class FamilyAdmin(PageColumnsMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "guardian"
    scope_rows = False
    list_display = ["name", "balance"]
    search_fields = ["name", "students__name", "guardians__name"]

    def load_page(self, request, objects):
        balances = billing.family_balances(objects)
        for obj in objects:
            obj.page_balance = balances[obj.pk]

    @admin.display(description=_("balance (KRW)"))
    def balance(self, obj):
        value = getattr(obj, "page_balance", None)
        return f"{billing.family_balance(obj) if value is None else value:,}"


@admin.register(m.Guardian)
class GuardianAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "guardian"
    list_display = ["name", "phone_display", "family", "user"]
    list_select_related = ["family", "user"]
    search_fields = ["name"]
    readonly_fields = ["family"]
    fields = ["name", "phone", "email", "family", "user", "telegram_chat_id"]
    autocomplete_fields = ["user"]
    actions = []  # apps.portal.admin adds the portal invitation

    @admin.display(description=_("phone"))
    def phone_display(self, obj):
        return display_phone(obj.phone) if obj.phone else "—"

    def get_search_results(self, request, queryset, search_term):
        # Phones are encrypted: search them through the blind index.
        results, distinct = super().get_search_results(request, queryset, search_term)
        try:
            digits = people.normalise_phone(search_term)
        except ValueError:
            digits = None
        if digits:
            results = results | queryset.filter(phone_index=phone_index(digits))
        return results, distinct

    def save_model(self, request, obj, form, change):
        if "phone" in form.changed_data:
            try:
                obj.phone = people.clean_phone(obj.phone, "phone")
            except ValidationError as exc:
                _errors(request, exc)
                return
            obj.phone_index = phone_index(obj.phone)
        if not change:
            obj.family = m.Family.objects.create(name=obj.name or "-")
        super().save_model(request, obj, form, change)


@admin.register(m.Student)
class StudentAdmin(PageColumnsMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "student"
    list_display = ["name", "family", "status", "school", "grade", "vindex_value"]
    list_filter = ["status", "grade"]
    search_fields = ["name", "school"]
    fields = ["name", "birth_date", "phone", "school", "grade", "status", "memo", "family", "user", "referred_by"]
    readonly_fields = ["family"]
    autocomplete_fields = ["user", "referred_by"]
    inlines = [GuardianLinkInline, EnrollmentInline]
    actions = ["give_kiosk_pins", "recompute_vindex"]  # apps.roster.admin adds the Excel export

    def load_page(self, request, objects):
        latest = vindex.latest_for(objects)
        for obj in objects:
            obj.page_vindex = (latest.get(obj.pk),)

    @admin.display(description=_("V-Index"))
    def vindex_value(self, obj):
        latest = obj.page_vindex[0] if hasattr(obj, "page_vindex") else vindex.latest(obj)
        if latest is None:
            return "—"
        return format_html(
            '<span style="color:{}">{}</span>', "#b42318" if latest.at_risk else "inherit", f"{latest.value:.1f}"
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            result = people.upsert_student(
                name=obj.name,
                birth_date=obj.birth_date,
                phone=obj.phone,
                school=obj.school,
                grade=obj.grade,
                status=obj.status,
                memo=obj.memo,
                actor=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
            raise
        obj.pk, obj.family = result.student.pk, result.student.family
        obj._state.adding = False

    @admin.action(description=_("Give kiosk PINs"), permissions=["change"])
    def give_kiosk_pins(self, request, queryset):
        pins = [f"{student.name}: {attendance.set_pin(student, actor=request.user)}" for student in queryset]
        self.message_user(request, _("New PINs (shown once): %(pins)s") % {"pins": ", ".join(pins)})

    def has_export_permission(self, request) -> bool:
        from apps.accounts.permissions import has_permission

        return has_permission(request.user, "student:export")

    @admin.action(description=_("Recompute V-Index"), permissions=["view"])
    def recompute_vindex(self, request, queryset):
        count = vindex.recompute(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%d student recomputed.", "%d students recomputed.", count) % count)


@admin.register(m.Coach)
class CoachAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "coach"
    scope_rows = False
    list_display = ["name", "user", "is_active"]
    search_fields = ["name"]
    fields = ["name", "phone", "user", "is_active"]


@admin.register(m.Consultation)
class ConsultationAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "consultation"
    scope_rows = False
    list_display = [
        "student_name",
        "guardian_name",
        "source",
        "status",
        "klass",
        "assigned_to",
        "follow_up_on",
        "created_at",
    ]
    list_select_related = ["klass", "assigned_to"]
    list_filter = ["status", "source", "klass", "assigned_to"]
    search_fields = ["student_name", "guardian_name", "notes"]
    date_hierarchy = "created_at"
    readonly_fields = ["status", "student"]
    actions = ["convert", "mark_held", "mark_lost"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = consultations.open_consultation(
            student_name=obj.student_name,
            guardian_phone=obj.guardian_phone,
            guardian_name=obj.guardian_name,
            birth_date=obj.birth_date,
            source=obj.source,
            klass=obj.klass,
            interest=obj.interest,
            notes=obj.notes,
            assigned_to=obj.assigned_to,
            follow_up_on=obj.follow_up_on,
            referred_by=obj.referred_by,
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    def _each(self, request, queryset, operation, done_message):
        done = 0
        for consultation in queryset:
            try:
                operation(consultation)
                done += 1
            except ValidationError as exc:
                _errors(request, exc)
        if done:
            self.message_user(request, done_message % done)

    @admin.action(description=_("Enroll in the class of interest"), permissions=["convert"])
    def convert(self, request, queryset):
        self._each(request, queryset, lambda c: consultations.convert(c, actor=request.user), _("%d enrolled."))

    @admin.action(description=_("Mark as held"), permissions=["change"])
    def mark_held(self, request, queryset):
        self._each(request, queryset, lambda c: consultations.move(c, "held", actor=request.user), _("%d marked held."))

    @admin.action(description=_("Mark as lost (no reason given)"), permissions=["change"])
    def mark_lost(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: consultations.move(c, "lost", lost_reason="—", actor=request.user),
            _("%d marked lost."),
        )

    def has_convert_permission(self, request) -> bool:
        from apps.accounts.permissions import has_permission

        return has_permission(request.user, "consultation:convert")


@admin.register(m.Programme)
class ProgrammeAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "class"
    scope_rows = False
    list_display = ["name"]
    search_fields = ["name"]


class SlotInline(admin.TabularInline):
    model = m.TimetableSlot
    extra = 1


@admin.register(m.Class)
class ClassAdmin(PageColumnsMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "class"
    list_display = ["name", "programme", "coach", "room", "capacity", "enrolled", "monthly_fee", "is_active"]
    list_select_related = ["programme", "coach"]
    list_filter = ["programme", "coach", "is_active"]
    search_fields = ["name"]
    inlines = [SlotInline]
    actions = ["generate_four_weeks"]

    def load_page(self, request, objects):
        counts = dict(
            m.Enrollment.objects.filter(klass__in=objects, status__in=["active", "paused"])
            .values_list("klass_id")
            .annotate(n=Count("id"))
            .values_list("klass_id", "n")
        )
        for obj in objects:
            obj.page_enrolled = counts.get(obj.pk, 0)

    @admin.display(description=_("enrolled"))
    def enrolled(self, obj):
        if hasattr(obj, "page_enrolled"):
            return obj.page_enrolled
        return obj.enrollments.filter(status__in=["active", "paused"]).count()

    @admin.action(description=_("Generate sessions for the next four weeks"), permissions=["change"])
    def generate_four_weeks(self, request, queryset):
        today = timezone.localdate()
        made = schedule.generate_sessions(today, today + timedelta(days=28), list(queryset), actor=request.user)
        self.message_user(request, ngettext("%d session created.", "%d sessions created.", made) % made)


@admin.register(m.Holiday)
class HolidayAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "class"
    scope_rows = False
    list_display = ["date", "name"]


class AttendanceInline(ReadOnlyInline):
    model = m.Attendance
    fields = ["student", "status", "method", "checked_in_at"]


@admin.register(m.Session)
class SessionAdmin(PageColumnsMixin, PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "session"
    list_display = ["date", "starts_at", "klass", "status", "attendance_summary"]
    list_select_related = ["klass"]
    list_filter = ["status", "klass", "date"]
    date_hierarchy = "date"
    inlines = [AttendanceInline]
    actions = ["mark_all_present", "mark_rest_absent", "cancel"]

    def load_page(self, request, objects):
        counts = attendance.session_counts_many(objects)
        for obj in objects:
            obj.page_counts = counts[obj.pk]

    @admin.display(description=_("attendance"))
    def attendance_summary(self, obj):
        counts = getattr(obj, "page_counts", None) or attendance.session_counts(obj)
        return f"{counts['present'] + counts['late']}/{counts['expected']}"

    @admin.action(description=_("Mark attendance: everyone present"), permissions=["attendance"])
    def mark_all_present(self, request, queryset):
        for session in queryset:
            try:
                students = attendance.enrolled_on(session)
                attendance.roll_call(session, {s.pk: "present" for s in students}, actor=request.user)
            except ValidationError as exc:
                _errors(request, exc)
        self.message_user(request, _("Attendance recorded."))

    @admin.action(description=_("Mark attendance: everyone not checked in is absent"), permissions=["attendance"])
    def mark_rest_absent(self, request, queryset):
        for session in queryset:
            attendance.roll_call(session, {}, absent_rest=True, actor=request.user)
        self.message_user(request, _("Absences recorded."))

    @admin.action(description=_("Cancel sessions (guardians are told)"), permissions=["change"])
    def cancel(self, request, queryset):
        for session in queryset:
            try:
                schedule.cancel_session(session, reason=str(_("Cancelled in the back office")), actor=request.user)
            except ValidationError as exc:
                _errors(request, exc)

    def has_attendance_permission(self, request) -> bool:
        from apps.accounts.permissions import has_permission

        return has_permission(request.user, "attendance:write")


@admin.register(m.Attendance)
class AttendanceAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "attendance"
    permissions = {"view": "attendance:read", "add": None, "change": "attendance:write", "delete": None}
    list_display = ["session", "student", "status", "method", "checked_in_at"]
    list_filter = ["status", "method", "session__klass", "session__date"]
    search_fields = ["student__name"]
    readonly_fields = ["session", "student", "method", "checked_in_at", "checked_out_at", "recorded_by"]

    def save_model(self, request, obj, form, change):
        attendance.mark(obj.session, obj.student, obj.status, note=obj.note, actor=request.user)


@admin.register(m.Enrollment)
class EnrollmentAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "enrollment"
    scope_rows = False
    list_display = ["student", "klass", "plan", "monthly_fee", "starts_on", "ends_on", "status"]
    list_filter = ["status", "plan", "klass"]
    search_fields = ["student__name", "klass__name"]
    autocomplete_fields = ["student"]
    actions = ["withdraw_today"]

    def get_readonly_fields(self, request, obj=None):
        return ["status", "ends_on", "transferred_to"] if obj is None else [f.name for f in m.Enrollment._meta.fields]

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = enrollment.enroll(
            obj.student,
            obj.klass,
            starts_on=obj.starts_on,
            plan=obj.plan,
            monthly_fee=obj.monthly_fee or None,
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False

    @admin.action(description=_("Withdraw today (refund rule applied)"), permissions=["delete"])
    def withdraw_today(self, request, queryset):
        for item in queryset:
            try:
                result = enrollment.withdraw(item, on=timezone.localdate(), reason="back office", actor=request.user)
                self.message_user(
                    request,
                    _("%(student)s: %(rule)s, refund %(amount)s won")
                    % {
                        "student": item.student.name,
                        "rule": result["decision"].rule,
                        "amount": f"{result['decision'].amount:,}",
                    },
                )
            except ValidationError as exc:
                _errors(request, exc)


class InvoiceLineInline(ReadOnlyInline):
    model = m.InvoiceLine
    fields = ["kind", "description", "amount", "enrollment"]


@admin.register(m.Invoice)
class InvoiceAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "invoice"
    change_list_template = "academy/admin/invoice_changelist.html"
    list_display = ["number", "family", "kind", "period", "issued_on", "due_on", "total_won", "paid_won", "status"]
    list_filter = ["status", "kind", "period"]
    search_fields = ["number", "family__name"]
    date_hierarchy = "issued_on"
    inlines = [InvoiceLineInline]
    readonly_fields = [f.name for f in m.Invoice._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("total"))
    def total_won(self, obj):
        return f"{obj.total:,}"

    @admin.display(description=_("paid"))
    def paid_won(self, obj):
        return f"{obj.paid:,}"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("issue-monthly/", view(self.issue_monthly), name="academy_invoice_issue_monthly"),
            path("issue-monthly/<int:run_id>/", view(self.monthly_run), name="academy_invoice_monthly_run"),
            *super().get_urls(),
        ]

    def issue_monthly(self, request):
        """Queue this month's invoicing (a Celery task) and show its progress."""
        from apps.accounts.permissions import has_permission

        if request.method == "POST" and has_permission(request.user, "invoice:create"):
            run = billing.start_monthly_run(timezone.localdate(), actor=request.user)
            return HttpResponseRedirect(reverse(f"{self.admin_site.name}:academy_invoice_monthly_run", args=[run.pk]))
        return HttpResponseRedirect(reverse(f"{self.admin_site.name}:academy_invoice_changelist"))

    def monthly_run(self, request, run_id: int):
        from django.shortcuts import get_object_or_404
        from django.template.response import TemplateResponse

        from apps.accounts.permissions import require_permission

        require_permission(request.user, "invoice:create")
        run = get_object_or_404(m.InvoiceRun, pk=run_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "run": run,
            "title": _("Invoices for %(month)s") % {"month": f"{run.period:%Y-%m}"},
            "socket_path": f"/ws/academy/invoicing/{run.pk}/",
        }
        return TemplateResponse(request, "academy/admin/invoice_run.html", context)


@admin.register(m.Payment)
class PaymentAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "payment"
    permissions = {"view": "payment:read", "add": "payment:create", "change": None, "delete": None}
    list_display = ["received_at", "family", "amount", "method", "invoice", "unallocated", "reference"]
    list_select_related = ["family", "invoice"]
    list_filter = ["method"]
    search_fields = ["family__name", "reference", "invoice__number"]
    fields = ["family", "invoice", "amount", "method", "reference"]
    autocomplete_fields = ["family", "invoice"]

    def save_model(self, request, obj, form, change):
        try:
            created = billing.record_payment(
                obj.family,
                obj.amount,
                method=obj.method,
                invoice=obj.invoice,
                reference=obj.reference,
                actor=request.user,
            )
        except ValidationError as exc:
            _errors(request, exc)
            raise
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(m.Refund)
class RefundAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "payment"
    permissions = {"view": "payment:read", "add": None, "change": None, "delete": None}
    list_display = ["refunded_at", "family", "amount", "method", "reason"]


@admin.register(m.Feedback)
class FeedbackAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "feedback"
    list_display = ["session", "student", "coach", "effort", "skill", "attitude", "visible_to_guardians"]
    list_select_related = ["session", "session__klass", "student", "coach"]
    list_filter = ["visible_to_guardians", "session__klass"]
    search_fields = ["student__name", "text"]

    def save_model(self, request, obj, form, change):
        created = feedback.give_feedback(
            obj.session,
            obj.student,
            text=obj.text,
            effort=obj.effort,
            skill=obj.skill,
            attitude=obj.attitude,
            coach=obj.coach,
            visible=obj.visible_to_guardians,
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(m.Video)
class VideoAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "video"
    list_display = ["title", "student", "kind", "duration_seconds", "recorded_at"]
    list_filter = ["kind"]
    search_fields = ["title", "student__name", "tags"]
    readonly_fields = ["youtube_id"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.youtube_id = feedback.youtube_id(obj.url)
            super().save_model(request, obj, form, change)
            return
        created = feedback.add_video(
            obj.student,
            url=obj.url,
            title=obj.title,
            kind=obj.kind,
            duration_seconds=obj.duration_seconds,
            recorded_at=obj.recorded_at,
            tags=obj.tags,
            description=obj.description,
            actor=request.user,
        )
        obj.pk = created.pk
        obj._state.adding = False


@admin.register(m.VIndexSnapshot)
class VIndexSnapshotAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "vindex"
    permissions = {"view": "vindex:read", "add": None, "change": None, "delete": None}
    list_display = ["student", "computed_at", "value", "motions", "threats", "relations", "months", "at_risk"]
    list_filter = ["at_risk"]
    search_fields = ["student__name"]
    readonly_fields = [f.name for f in m.VIndexSnapshot._meta.fields]


@admin.register(m.VIndexWeights)
class VIndexWeightsAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "vindex"
    permissions = {"view": "vindex:configure", "add": "vindex:configure", "change": "vindex:configure", "delete": None}
    scope_rows = False


@admin.register(m.AcademySettings)
class AcademySettingsAdmin(PermissionAdminMixin, admin.ModelAdmin):
    permission_resource = "settings"
    permissions = {"view": "settings:read", "add": "settings:update", "change": "settings:update", "delete": None}
    scope_rows = False
