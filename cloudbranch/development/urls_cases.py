from django.urls import path

from . import views_cases as views

urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/steps/<slug:code>/", views.step_form, name="step_form"),
    path("cases/<int:case_id>/terminate/", views.case_terminate, name="case_terminate"),
    path("cases/<int:case_id>/extend/", views.case_extend, name="case_extend"),
    path("cases/<int:case_id>/contacts/", views.case_contacts, name="case_contacts"),
    path("records/<int:record_id>/void/", views.record_void, name="record_void"),
    path("mine/", views.my_case, name="my_case"),
]
