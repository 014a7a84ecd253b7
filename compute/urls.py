"""Pages of compute, mounted at /compute/."""

from django.urls import path

from . import views, views_projects, views_reviews

app_name = "compute"

urlpatterns = [
    path("", views.my_projects, name="my_projects"),
    path("projects/<slug:code>/", views.project_detail, name="project_detail"),
    path("projects/<slug:code>/jobs/", views.project_jobs, name="project_jobs"),
    path("projects/<slug:code>/request/", views.request_allocation, name="request_allocation"),
    path("projects/<slug:code>/members/", views_projects.add_member, name="add_member"),
    path("projects/<slug:code>/members/<int:user_id>/remove/", views_projects.remove_member, name="remove_member"),
    path("projects/<slug:code>/allocations/<int:pk>/renew/", views_projects.request_renewal, name="request_renewal"),
    path(
        "projects/<slug:code>/allocations/<int:pk>/extend/", views_projects.request_extension, name="request_extension"
    ),
    path("reviews/", views_reviews.review_queue, name="review_queue"),
    path("reviews/<int:pk>/", views_reviews.review_form, name="review_form"),
    path("reviews/<int:pk>/conflict/", views_reviews.declare_conflict, name="declare_conflict"),
    path("transparency/", views.transparency, name="transparency"),
    path("staff/utilisation/", views.staff_utilisation, name="staff_utilisation"),
    path("staff/unmatched/", views.staff_unmatched, name="staff_unmatched"),
    path("staff/rematch/", views.staff_rematch, name="staff_rematch"),
]
