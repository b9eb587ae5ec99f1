from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.core.api.fields import (
    ModelSerializer,
    PhoneField,
    PlausibleDateField,
    PlausibleDateTimeField,
    PrimaryKeyRelatedField,
)
from apps.core.api.prefetch import RelatedRows, related_rows
from apps.core.api.represent import DirectRepresentation
from apps.core.normalise import display_phone

from .. import models as m


class GuardianSerializer(ModelSerializer):
    phone = serializers.SerializerMethodField()

    class Meta:
        model = m.Guardian
        fields = ["id", "name", "phone", "email", "family"]

    def get_phone(self, obj) -> str:
        return display_phone(obj.phone) if obj.phone else ""


class GuardianLinkSerializer(ModelSerializer):
    guardian = GuardianSerializer(read_only=True)

    class Meta:
        model = m.GuardianLink
        fields = ["id", "guardian", "student", "relation", "is_primary", "status", "decided_at"]


class StudentSerializer(DirectRepresentation, ModelSerializer):
    guardians = serializers.SerializerMethodField()

    class Meta:
        model = m.Student
        fields = ["id", "name", "birth_date", "school", "grade", "status", "memo", "family", "guardians"]
        read_only_fields = ["family", "guardians"]

    def get_guardians(self, obj) -> list[dict]:
        return [
            {"id": link.guardian_id, "name": link.guardian.name, "relation": link.relation, "status": link.status}
            # The list's prefetch (listed guardian links with their guardian) answers it; a
            # new query per student otherwise.
            for link in related_rows(obj, "guardian_links")
        ]


class StudentWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    birth_date = PlausibleDateField(required=False, allow_null=True)
    phone = PhoneField()
    guardian_phone = PhoneField()
    guardian_name = serializers.CharField(required=False, allow_blank=True)
    relation = serializers.ChoiceField(choices=m.GuardianLink.Relation.choices, required=False)
    school = serializers.CharField(required=False, allow_blank=True)
    grade = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=m.Student.Status.choices, required=False)
    memo = serializers.CharField(required=False, allow_blank=True)


class ConsultationSerializer(ModelSerializer):
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
    guardian_phone = PhoneField()
    guardian_name = serializers.CharField(required=False, allow_blank=True)
    birth_date = PlausibleDateField(required=False, allow_null=True)
    source = serializers.ChoiceField(choices=m.Consultation.Source.choices, required=False)
    klass = PrimaryKeyRelatedField(queryset=m.Class.objects.all(), required=False, allow_null=True)
    interest = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    follow_up_on = PlausibleDateField(required=False, allow_null=True)


class MoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=m.Consultation.Status.choices)
    scheduled_at = PlausibleDateTimeField(required=False, allow_null=True)
    follow_up_on = PlausibleDateField(required=False, allow_null=True)
    lost_reason = serializers.CharField(required=False, allow_blank=True)


class ConvertSerializer(serializers.Serializer):
    klass = PrimaryKeyRelatedField(queryset=m.Class.objects.all(), required=False, allow_null=True)
    starts_on = PlausibleDateField(required=False)
    plan = serializers.ChoiceField(choices=m.Enrollment.Plan.choices, required=False)


class SlotSerializer(ModelSerializer):
    class Meta:
        model = m.TimetableSlot
        fields = ["weekday", "starts_at", "ends_at"]


class ClassSerializer(ModelSerializer):
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


class SessionSerializer(DirectRepresentation, ModelSerializer):
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

    def validate_marks(self, marks: dict) -> dict[int, str]:
        """Keys are student ids: a key that is not a whole number is a field error, not a 500."""
        wrong = [key for key in marks if not (isinstance(key, str) and key.isascii() and key.isdigit())]
        if wrong:
            raise serializers.ValidationError(
                _("Keys must be student ids (whole numbers): %(keys)s") % {"keys": ", ".join(map(str, wrong[:5]))}
            )
        return {int(key): value for key, value in marks.items()}


class MakeupSerializer(serializers.Serializer):
    date = PlausibleDateField()
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()


class EnrollmentSerializer(ModelSerializer):
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
    on = PlausibleDateField()
    reason = serializers.CharField(required=False, allow_blank=True)
    pay_out_method = serializers.ChoiceField(choices=m.Payment.Method.choices, required=False, allow_null=True)


class PauseSerializer(serializers.Serializer):
    from_date = PlausibleDateField()
    until = PlausibleDateField(required=False, allow_null=True)


class ResumeSerializer(serializers.Serializer):
    on = PlausibleDateField(required=False, help_text="the day lessons start again; today if left out")


class TransferSerializer(serializers.Serializer):
    to_class = PrimaryKeyRelatedField(queryset=m.Class.objects.all())
    on = PlausibleDateField()


class AttendanceSerializer(DirectRepresentation, ModelSerializer):
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
    """A kiosk PIN or a QR code's token: exactly one of them."""

    pin = serializers.CharField(required=False, min_length=1)
    token = serializers.CharField(required=False, min_length=1)

    def validate(self, data):
        if ("pin" in data) == ("token" in data):
            raise serializers.ValidationError(_("Give either a PIN or a QR token."), code="required")
        return data


# The schema says what validate() checks: a pin or a token, never both, never neither.
CHECK_IN_SCHEMA = {
    "type": "object",
    "properties": {"pin": {"type": "string", "minLength": 1}, "token": {"type": "string", "minLength": 1}},
    "oneOf": [
        {"required": ["pin"], "not": {"required": ["token"]}},
        {"required": ["token"], "not": {"required": ["pin"]}},
    ],
}


class InvoiceLineSerializer(DirectRepresentation, ModelSerializer):
    class Meta:
        model = m.InvoiceLine
        fields = ["kind", "description", "amount"]
        list_serializer_class = RelatedRows  # the invoice list's listed("lines")


class InvoiceSerializer(DirectRepresentation, ModelSerializer):
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


class PaymentSerializer(ModelSerializer):
    class Meta:
        model = m.Payment
        fields = ["id", "family", "invoice", "amount", "method", "reference", "received_at", "unallocated"]
        read_only_fields = ["received_at", "unallocated"]


class FeedbackSerializer(ModelSerializer):
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


class VideoSerializer(ModelSerializer):
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


class VIndexSerializer(ModelSerializer):
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
