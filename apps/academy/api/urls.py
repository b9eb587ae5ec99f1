from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("students", views.StudentViewSet, basename="academy-student")
router.register("guardian-links", views.GuardianLinkViewSet, basename="academy-guardian-link")
router.register("consultations", views.ConsultationViewSet, basename="academy-consultation")
router.register("classes", views.ClassViewSet, basename="academy-class")
router.register("sessions", views.SessionViewSet, basename="academy-session")
router.register("enrollments", views.EnrollmentViewSet, basename="academy-enrollment")
router.register("attendance", views.AttendanceViewSet, basename="academy-attendance")
router.register("invoices", views.InvoiceViewSet, basename="academy-invoice")
router.register("payments", views.PaymentViewSet, basename="academy-payment")
router.register("feedback", views.FeedbackViewSet, basename="academy-feedback")
router.register("videos", views.VideoViewSet, basename="academy-video")
router.register("vindex", views.VIndexViewSet, basename="academy-vindex")

urlpatterns = [*router.urls, path("dashboard/", views.dashboard_view, name="academy-dashboard")]
