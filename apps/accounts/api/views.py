from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..models import RoleAssignment
from ..scoping import visible_to
from ..tenant_type import current_roles
from .permissions import HasPermission
from .serializers import MeSerializer, RoleAssignmentSerializer, RoleSerializer


@extend_schema(tags=["accounts"], summary="The signed-in user on this tenant, with roles and permissions")
class MeView(RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]
    # Answers users who still have to set up MFA, so an app can tell them why.
    mfa_exempt = True

    def get_object(self):
        return self.request.user


@extend_schema(tags=["accounts"], summary="The roles of this tenant's type", responses=RoleSerializer(many=True))
class RoleListView(APIView):
    def get(self, request):
        roles = [
            {
                "code": role.code,
                "label": str(role.label),
                "description": str(role.description),
                "permissions": list(role.permissions),
                "scopes": dict(role.scopes),
                "back_office": role.back_office,
                "requires_mfa": role.requires_mfa,
            }
            for role in current_roles().values()
        ]
        return Response(RoleSerializer(roles, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Who holds which role (role:read; without wide role:read, only your own)",
        parameters=[
            OpenApiParameter("user", OpenApiTypes.INT, description="only this user's roles"),
            OpenApiParameter("role", OpenApiTypes.STR, description="only holders of this role"),
        ],
    ),
    create=extend_schema(summary="Give a user a role (role:assign; only roles you could hold yourself)"),
    destroy=extend_schema(summary="Take a role from a user (role:assign)"),
)
@extend_schema(tags=["accounts"])
class RoleAssignmentViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = RoleAssignmentSerializer
    permission_classes = [HasPermission(read="role:read", write="role:assign")]
    lookup_value_regex = "[0-9]+"  # ids only: /role-assignments/true/ is a 404, not a 500

    def get_queryset(self) -> QuerySet:
        rows = visible_to(RoleAssignment.objects.select_related("user", "granted_by"), self.request.user, "role:read")
        params = self.request.query_params
        if params.get("user", "").isdigit():
            rows = rows.filter(user_id=int(params["user"]))
        if params.get("role"):
            rows = rows.filter(role=params["role"])
        return rows

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, code = serializer.validated_data["user"], serializer.validated_data["role"]
        existed = RoleAssignment.objects.filter(user=user, role=code).exists()
        assignment = services.grant_role(user, code, actor=request.user, request=request)
        return Response(
            self.get_serializer(assignment).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )

    def get_object(self):
        # Any assignment of this tenant may be revoked by a grantor able to give that role;
        # the service decides, so look it up unscoped.
        from django.shortcuts import get_object_or_404

        return get_object_or_404(RoleAssignment.objects.select_related("user"), pk=self.kwargs["pk"])

    def perform_destroy(self, instance):
        services.revoke_role(instance.user, instance.role, actor=self.request.user, request=self.request)
