"""/api/v1/: each app's API, the OpenAPI schema and its offline docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("governance/", include("governance.api")),
    path("fellowships/", include("fellowships.api")),
    path("compute/", include("compute.api")),
    path("governance/contributions/", include("finance.api")),
    path("governance/plan/", include("finance.plan_api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script from a URL: the CSP forbids the inline one (and the
    # plain view also weakens Cross-Origin-Opener-Policy to unsafe-none).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
