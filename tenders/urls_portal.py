"""The supplier's side of a tender, under /portail/marches/."""

from django.urls import path  # noqa: F401

app_name = "tenders_portal"

urlpatterns = []
