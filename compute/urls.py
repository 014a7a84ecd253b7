"""Pages of compute, mounted at /compute/."""

from django.urls import path

from . import views

app_name = "compute"

urlpatterns = [
    path("", views.my_projects, name="my_projects"),
    path("projects/<slug:code>/", views.project_detail, name="project_detail"),
    path("projects/<slug:code>/jobs/", views.project_jobs, name="project_jobs"),
    path("projects/<slug:code>/request/", views.request_allocation, name="request_allocation"),
    path("transparency/", views.transparency, name="transparency"),
    path("staff/utilisation/", views.staff_utilisation, name="staff_utilisation"),
    path("staff/unmatched/", views.staff_unmatched, name="staff_unmatched"),
    path("staff/rematch/", views.staff_rematch, name="staff_rematch"),
]
