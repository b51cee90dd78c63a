from django.urls import path

from suppliers.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.dashboard, name="dashboard"),
]
