from django.urls import path

from . import views

app_name = "problems"
urlpatterns = [
    path("", views.problem_list, name="list"),
    path("new/", views.problem_form, name="new"),
    path("<int:pk>/", views.problem_page, name="problem"),
    path("<int:pk>/edit/", views.problem_form, name="edit"),
    path("submissions/<int:pk>/", views.submission_page, name="submission"),
    path("review/", views.review_queue, name="review"),
    path("progress/", views.progress_page, name="progress"),
]
