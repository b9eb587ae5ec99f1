from rest_framework.routers import SimpleRouter

from . import people

router = SimpleRouter()
router.register("organisations", people.OrganisationViewSet, basename="learning-organisation")
router.register("classes", people.ClassViewSet, basename="learning-class")
router.register("students", people.StudentViewSet, basename="learning-student")
router.register("links", people.LinkViewSet, basename="learning-link")

urlpatterns = [*router.urls]
