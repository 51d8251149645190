"""Pages of 民主评议党员 (/democracy/appraisals/...)."""

from django.urls import path

from . import views_appraisals as v

urlpatterns = [
    path("appraisals/", v.appraisal_list, name="appraisals"),
    path("appraisals/new/", v.appraisal_create, name="appraisal_create"),
    path("appraisals/<int:appraisal_id>/", v.appraisal_detail, name="appraisal"),
    path("appraisals/<int:appraisal_id>/advance/", v.appraisal_advance, name="appraisal_advance"),
    path("appraisals/<int:appraisal_id>/remind/", v.appraisal_remind, name="appraisal_remind"),
    path("appraisals/<int:appraisal_id>/me/", v.self_assessment, name="self_assessment"),
    path("appraisals/<int:appraisal_id>/rate/", v.rate, name="rate"),
    path("appraisals/<int:appraisal_id>/proposal/", v.proposal, name="proposal"),
    path("appraisals/<int:appraisal_id>/decision/", v.decision, name="decision"),
    path("appraisals/<int:appraisal_id>/export.xlsx", v.appraisal_export, name="appraisal_export"),
    path("appraisals/entries/<int:entry_id>/handling/", v.handling, name="handling"),
]
