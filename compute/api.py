"""Read-only public API and machine endpoints of compute, mounted at /api/v1/compute/."""

urlpatterns: list = []
