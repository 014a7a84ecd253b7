"""The portal's URLs plus the floor views under /_bench/ (bench settings only, never production)."""

from django.urls import path

from cernai.urls import urlpatterns as portal_urlpatterns

from . import floors

urlpatterns = [
    path("_bench/hello/", floors.hello, name="bench-hello"),
    path("_bench/page/", floors.page, name="bench-page"),
    path("_bench/auth-page/", floors.auth_page, name="bench-auth-page"),
    path("_bench/write/", floors.write, name="bench-write"),
    path("_bench/auth-write/", floors.auth_write, name="bench-auth-write"),
    *portal_urlpatterns,
]
