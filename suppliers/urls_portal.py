app_name = "portal"

from django.urls import path  # noqa: F401

urlpatterns = []
