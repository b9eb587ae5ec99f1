"""Organisations, classes, students and parent links on the zone's API (item 8). Rows are
those of the user's scope (apps/learning/scopes.py); writes go through the services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.response import Response

from apps.accounts.api.permissions import HasPermission
from apps.accounts.scoping import visible_to
from apps.core.api.parsers import DepthLimitedJSONParser as JSONParser
from apps.core.api.viewsets import ScopedViewSet

from ..models import Klass, Organisation, ParentLink, StaffMembership, Student
from ..services import links, people
from . import serializers as s

User = get_user_model()


def _visible(queryset, user, perm: str, pk: int, field: str):
    row = visible_to(queryset, user, perm).filter(pk=pk).first()
    if row is None:
        message = _("No such %(what)s, or not yours to use.") % {"what": field}
        raise ValidationError({field: [ErrorDetail(message, code="does_not_exist")]})
    return row


def _teachers(organisation: Organisation, ids: list[int]) -> list:
    teachers = list(
        User.objects.filter(
            pk__in=ids, learning_staff__organisation=organisation, learning_staff__kind=StaffMembership.Kind.TEACHER
        ).distinct()
    )
    missing = set(ids) - {t.pk for t in teachers}
    if missing:
        raise ValidationError(
            {"teachers": [_("Not teachers of this organisation: %(ids)s") % {"ids": sorted(missing)}]}
        )
    return teachers


@extend_schema(tags=["learning: people"])
class OrganisationViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "org"
    base_queryset = Organisation.objects.all()
    serializer_class = s.OrganisationSerializer
    permission_classes = [HasPermission(resource="org")]

    def create(self, request):
        data = s.OrganisationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = people.create_organisation(actor=request.user, **data.validated_data)
        return Response(s.OrganisationSerializer(organisation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["learning: people"])
class ClassViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "class"
    base_queryset = Klass.objects.prefetch_related("teachers", "enrollments")
    serializer_class = s.ClassSerializer
    permission_classes = [
        HasPermission(resource="class", actions={"enroll": "class:update", "unenroll": "class:update"})
    ]

    @extend_schema(request=s.ClassWriteSerializer, responses={201: s.ClassSerializer})
    def create(self, request):
        data = s.ClassWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organisation = _visible(
            Organisation.objects.all(), request.user, "org:read", values["organisation"], "organisation"
        )
        klass = people.create_class(
            organisation=organisation,
            name=values["name"],
            teachers=_teachers(organisation, values.get("teachers", [])),
            actor=request.user,
        )
        return Response(s.ClassSerializer(klass).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ClassUpdateSerializer, responses=s.ClassSerializer)
    def partial_update(self, request, pk=None):
        klass = self.get_object()
        data = s.ClassUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        teachers = _teachers(klass.organisation, values["teachers"]) if "teachers" in values else None
        klass = people.update_class(klass, name=values.get("name"), teachers=teachers, actor=request.user)
        return Response(s.ClassSerializer(klass).data)

    @extend_schema(request=s.EnrollSerializer, responses=s.ClassSerializer)
    @action(detail=True, methods=["post"])
    def enroll(self, request, pk=None):
        klass = self.get_object()
        data = s.EnrollSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        student = _visible(
            Student.objects.all(), request.user, "student:read", data.validated_data["student"], "student"
        )
        people.enroll(klass, student, actor=request.user)
        return Response(
            s.ClassSerializer(Klass.objects.prefetch_related("teachers", "enrollments").get(pk=klass.pk)).data
        )

    @extend_schema(request=s.EnrollSerializer, responses=s.ClassSerializer)
    @action(detail=True, methods=["post"])
    def unenroll(self, request, pk=None):
        klass = self.get_object()
        data = s.EnrollSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        student = _visible(
            Student.objects.all(), request.user, "student:read", data.validated_data["student"], "student"
        )
        people.unenroll(klass, student, actor=request.user)
        return Response(
            s.ClassSerializer(Klass.objects.prefetch_related("teachers", "enrollments").get(pk=klass.pk)).data
        )


@extend_schema(tags=["learning: people"])
class StudentViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "student"
    base_queryset = Student.objects.select_related("user")
    serializer_class = s.StudentSerializer
    permission_classes = [HasPermission(resource="student", actions={"nickname": "profile:update"})]

    @extend_schema(request=s.NicknameSerializer, responses=s.StudentSerializer)
    @action(detail=False, methods=["post"])
    def nickname(self, request):
        """A student sets the nickname shown on leaderboards."""
        student = Student.objects.filter(user=request.user).first()
        if student is None:
            raise PermissionDenied(_("Only students have a nickname."))
        data = s.NicknameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        people.set_nickname(student, data.validated_data["nickname"], actor=request.user)
        return Response(s.StudentSerializer(student).data)


@extend_schema(tags=["learning: people"])
class LinkViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Parent–student links: a parent asks (POST, by e-mail or phone), the student or the
    organisation's administrator (a child under 14) approves or rejects."""

    parser_classes = [JSONParser]  # JSON bodies only: a form's empty field is not an omitted one
    resource = "link"
    base_queryset = ParentLink.objects.select_related("student", "parent")
    serializer_class = s.LinkSerializer
    permission_classes = [
        HasPermission(
            resource="link", actions={"approve": "link:approve", "reject": "link:approve", "revoke": "link:read"}
        )
    ]

    @extend_schema(request={"application/json": s.LINK_REQUEST_SCHEMA}, responses={201: s.LinkSerializer})
    def create(self, request):
        data = s.LinkRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link = links.request_link(actor=request.user, request=request, **data.validated_data)
        return Response(s.LinkSerializer(link).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, approve: bool):
        link = links.decide_link(self.get_object(), approve=approve, actor=request.user, request=request)
        return Response(s.LinkSerializer(link).data)

    @extend_schema(request=None, responses=s.LinkSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=None, responses=s.LinkSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, False)

    @extend_schema(request=None, responses=s.LinkSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        link = links.revoke_link(self.get_object(), actor=request.user, request=request)
        return Response(s.LinkSerializer(link).data)
