app_name = "fellowships"

urlpatterns: list = []
