from django.urls import path

from . import views

app_name = "stores"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.review_page, name="review"),
    path("import/", views.import_page, name="import"),
    path("dashboard/", views.dashboard_page, name="dashboard"),
]
