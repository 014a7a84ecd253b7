"""Read-only public API and machine endpoints of governance, mounted at /api/v1/governance/."""

urlpatterns: list = []
