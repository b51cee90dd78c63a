"""The buyer's tender console, under /console/marches/."""

from django.urls import path  # noqa: F401

app_name = "tenders_console"

urlpatterns = []
