from django.urls import path

from . import views

app_name = "finance"

urlpatterns = [
    path("contributions/", views.contributions, name="contributions"),
    path("contributions.csv", views.contributions_csv, name="contributions_csv"),
]
