from django.urls import path

from . import plan_views, views

app_name = "finance"

urlpatterns = [
    path("contributions/", views.contributions, name="contributions"),
    path("contributions.csv", views.contributions_csv, name="contributions_csv"),
    path("plan/", plan_views.plan, name="plan"),
    path("plan/<int:pk>/", plan_views.plan_version, name="plan_version"),
    path("fair-return/", plan_views.fair_return, name="fair_return"),
    path("fair-return.csv", plan_views.fair_return_csv, name="fair_return_csv"),
]
