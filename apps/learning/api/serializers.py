from __future__ import annotations

from rest_framework import serializers

from ..models import Klass, Organisation, ParentLink, Student


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code", "is_active"]
        read_only_fields = ["id", "is_active"]


class StudentSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    shown_name = serializers.CharField(read_only=True)

    class Meta:
        model = Student
        fields = ["id", "username", "name", "nickname", "shown_name", "organisation"]
        read_only_fields = fields


class ClassSerializer(serializers.ModelSerializer):
    teachers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    students = serializers.SerializerMethodField()

    class Meta:
        model = Klass
        fields = ["id", "organisation", "name", "teachers", "students", "is_active"]
        read_only_fields = fields

    def get_students(self, klass: Klass) -> list[int]:
        return [e.student_id for e in klass.enrollments.all() if e.is_active]


class ClassWriteSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    name = serializers.CharField(max_length=100)
    teachers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, max_length=100
    )


class ClassUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    teachers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), required=False, max_length=100
    )


class EnrollSerializer(serializers.Serializer):
    student = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class LinkSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.name", read_only=True)
    parent_name = serializers.CharField(source="parent.__str__", read_only=True)

    class Meta:
        model = ParentLink
        fields = ["id", "parent", "parent_name", "student", "student_name", "status", "via", "created_at", "decided_at"]
        read_only_fields = fields


class LinkRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)


class NicknameSerializer(serializers.Serializer):
    nickname = serializers.CharField(max_length=40, allow_blank=True)
