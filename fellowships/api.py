"""Read-only public API and machine endpoints of fellowships, mounted at /api/v1/fellowships/."""

urlpatterns: list = []
