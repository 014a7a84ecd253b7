from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from cernai.accounts import language
from cernai.core import probes

# The admin login goes through allauth: the same rate limits (T6) and the same second factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "cernai secretariat"
admin.site.site_title = "cernai admin"

urlpatterns = [
    # Probes for the load balancer and monitoring (outside i18n and the MFA requirement).
    path("healthz", probes.healthz, name="healthz"),
    path("readyz", probes.readyz, name="readyz"),
    path("metrics", probes.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    # Django's language switch, which also saves a signed-in person's choice to the profile.
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("api/v1/", include("cernai.api_urls")),
    path("governance/", include("governance.urls")),
    path("fellowships/", include("fellowships.urls")),
    path("compute/", include("compute.urls")),
    path("finance/", include("finance.urls")),
    path("nodes/", include("nodes.urls")),
    path("", include("cernai.core.urls")),
]

# JSON errors under /api/, the styled pages elsewhere.
handler400 = "cernai.core.views.bad_request"
handler403 = "cernai.core.views.permission_denied"
handler404 = "cernai.core.views.page_not_found"
handler500 = "cernai.core.views.server_error"
