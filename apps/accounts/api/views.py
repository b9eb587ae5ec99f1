from drf_spectacular.utils import extend_schema
from rest_framework.generics import RetrieveUpdateAPIView

from .serializers import MeSerializer


@extend_schema(tags=["accounts"], summary="The signed-in user on this tenant")
class MeView(RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user
