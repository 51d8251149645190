from django.urls import path

from . import views_compliance

urlpatterns: list = [
    path("compliance/", views_compliance.compliance_rollup, name="compliance"),
    path("calendar/<int:unit_id>/", views_compliance.compliance_calendar, name="calendar"),
]
