"""Pages of the partnerships area."""

from django.urls import path

from . import views_partnerships as v

urlpatterns: list = [
    path("partnerships/", v.partnership_list, name="partnerships"),
    path("partnerships/new/", v.partnership_create, name="partnership_create"),
    path("partnerships/<int:partnership_id>/", v.partnership_detail, name="partnership"),
    path("partnerships/<int:partnership_id>/edit/", v.partnership_edit, name="partnership_edit"),
    path("partnerships/<int:partnership_id>/end/", v.partnership_end, name="partnership_end"),
    path("partnerships/<int:partnership_id>/agreement/", v.agreement_file, name="agreement_file"),
    path("partnerships/<int:partnership_id>/activities/new/", v.activity_add, name="activity_add"),
    path("partnerships/<int:partnership_id>/summary/<int:year>/", v.summary, name="summary"),
    path("partners/", v.partner_list, name="partners"),
    path("partners/new/", v.partner_create, name="partner_create"),
    path("partners/<int:partner_id>/edit/", v.partner_edit, name="partner_edit"),
]
