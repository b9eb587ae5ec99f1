from rest_framework import serializers

from apps.core.normalise import display_phone

from .. import models as m


class GuardianSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()

    class Meta:
        model = m.Guardian
        fields = ["id", "name", "phone", "email", "family"]

    def get_phone(self, obj) -> str:
        return display_phone(obj.phone) if obj.phone else ""


class GuardianLinkSerializer(serializers.ModelSerializer):
    guardian = GuardianSerializer(read_only=True)

    class Meta:
        model = m.GuardianLink
        fields = ["id", "guardian", "student", "relation", "is_primary", "status", "decided_at"]


class StudentSerializer(serializers.ModelSerializer):
    guardians = serializers.SerializerMethodField()

    class Meta:
        model = m.Student
        fields = ["id", "name", "birth_date", "school", "grade", "status", "memo", "family", "guardians"]
        read_only_fields = ["family", "guardians"]

    def get_guardians(self, obj) -> list[dict]:
        return [
            {"id": link.guardian_id, "name": link.guardian.name, "relation": link.relation, "status": link.status}
            # .all(): the list's prefetch (guardian_links__guardian) answers it; a new query
            # per student otherwise.
            for link in obj.guardian_links.all()
        ]


class StudentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    birth_date = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    guardian_phone = serializers.CharField(required=False, allow_blank=True)
    guardian_name = serializers.CharField(required=False, allow_blank=True)
    relation = serializers.ChoiceField(choices=m.GuardianLink.Relation.choices, required=False)
    school = serializers.CharField(required=False, allow_blank=True)
    grade = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=m.Student.Status.choices, required=False)
    memo = serializers.CharField(required=False, allow_blank=True)


class ConsultationSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Consultation
        fields = [
            "id",
            "student_name",
            "birth_date",
            "guardian_name",
            "source",
            "klass",
            "interest",
            "notes",
            "assigned_to",
            "status",
            "scheduled_at",
            "follow_up_on",
            "lost_reason",
            "student",
            "created_at",
        ]
        read_only_fields = ["status", "student", "created_at"]


class ConsultationWriteSerializer(serializers.Serializer):
    student_name = serializers.CharField(max_length=100)
    guardian_phone = serializers.CharField(required=False, allow_blank=True)
    guardian_name = serializers.CharField(required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=m.Consultation.Source.choices, required=False)
    klass = serializers.PrimaryKeyRelatedField(queryset=m.Class.objects.all(), required=False, allow_null=True)
    interest = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    follow_up_on = serializers.DateField(required=False, allow_null=True)


class MoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=m.Consultation.Status.choices)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True)
    follow_up_on = serializers.DateField(required=False, allow_null=True)
    lost_reason = serializers.CharField(required=False, allow_blank=True)


class ConvertSerializer(serializers.Serializer):
    klass = serializers.PrimaryKeyRelatedField(queryset=m.Class.objects.all(), required=False, allow_null=True)
    starts_on = serializers.DateField(required=False)
    plan = serializers.ChoiceField(choices=m.Enrollment.Plan.choices, required=False)


class SlotSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.TimetableSlot
        fields = ["weekday", "starts_at", "ends_at"]


class ClassSerializer(serializers.ModelSerializer):
    slots = SlotSerializer(many=True, read_only=True)
    coach_name = serializers.CharField(source="coach.name", default="", read_only=True)

    class Meta:
        model = m.Class
        fields = [
            "id",
            "programme",
            "name",
            "coach",
            "coach_name",
            "room",
            "capacity",
            "monthly_fee",
            "pass_sessions",
            "pass_price",
            "is_active",
            "slots",
        ]


class SessionSerializer(serializers.ModelSerializer):
    class_name = serializers.CharField(source="klass.name", read_only=True)

    class Meta:
        model = m.Session
        fields = ["id", "klass", "class_name", "date", "starts_at", "ends_at", "status", "makeup_for", "note"]
        read_only_fields = fields


class RollCallSerializer(serializers.Serializer):
    marks = serializers.DictField(
        child=serializers.ChoiceField(choices=m.Attendance.Status.choices), help_text="student id → status"
    )
    absent_rest = serializers.BooleanField(default=False)


class MakeupSerializer(serializers.Serializer):
    date = serializers.DateField()
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()


class EnrollmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Enrollment
        fields = [
            "id",
            "student",
            "klass",
            "starts_on",
            "ends_on",
            "plan",
            "monthly_fee",
            "pass_sessions",
            "pass_price",
            "status",
            "paused_from",
            "paused_until",
        ]
        read_only_fields = ["ends_on", "pass_sessions", "pass_price", "status", "paused_from", "paused_until"]
        # The service says which field is wrong ("already in that class", "full"); DRF's
        # generic unique-together message would not.
        validators = []


class WithdrawSerializer(serializers.Serializer):
    on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True)
    pay_out_method = serializers.ChoiceField(choices=m.Payment.Method.choices, required=False, allow_null=True)


class PauseSerializer(serializers.Serializer):
    from_date = serializers.DateField()
    until = serializers.DateField(required=False, allow_null=True)


class TransferSerializer(serializers.Serializer):
    to_class = serializers.PrimaryKeyRelatedField(queryset=m.Class.objects.all())
    on = serializers.DateField()


class AttendanceSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)

    class Meta:
        model = m.Attendance
        fields = [
            "id",
            "session",
            "student",
            "student_name",
            "status",
            "method",
            "checked_in_at",
            "checked_out_at",
            "note",
        ]
        read_only_fields = fields


class CheckInSerializer(serializers.Serializer):
    pin = serializers.CharField(required=False, allow_blank=True)
    token = serializers.CharField(required=False, allow_blank=True)


class InvoiceLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.InvoiceLine
        fields = ["kind", "description", "amount"]


class InvoiceSerializer(serializers.ModelSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True)
    due = serializers.IntegerField(read_only=True)

    class Meta:
        model = m.Invoice
        fields = [
            "id",
            "number",
            "family",
            "kind",
            "period",
            "issued_on",
            "due_on",
            "status",
            "total",
            "paid",
            "due",
            "lines",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Payment
        fields = ["id", "family", "invoice", "amount", "method", "reference", "received_at", "unallocated"]
        read_only_fields = ["received_at", "unallocated"]


class FeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.Feedback
        fields = [
            "id",
            "session",
            "student",
            "coach",
            "text",
            "effort",
            "skill",
            "attitude",
            "visible_to_guardians",
            "created_at",
        ]
        read_only_fields = ["coach", "created_at"]


class VideoSerializer(serializers.ModelSerializer):
    thumbnail_url = serializers.CharField(read_only=True)

    class Meta:
        model = m.Video
        fields = [
            "id",
            "student",
            "kind",
            "url",
            "youtube_id",
            "thumbnail_url",
            "title",
            "description",
            "duration_seconds",
            "recorded_at",
            "tags",
        ]
        read_only_fields = ["youtube_id", "thumbnail_url"]


class VIndexSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)

    class Meta:
        model = m.VIndexSnapshot
        fields = [
            "student",
            "student_name",
            "computed_at",
            "value",
            "motions",
            "threats",
            "relations",
            "months",
            "at_risk",
            "breakdown",
        ]
        read_only_fields = fields


class InvoiceRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = m.InvoiceRun
        fields = ["id", "period", "status", "families_done", "families_total", "issued", "error", "finished_at"]
        read_only_fields = fields
