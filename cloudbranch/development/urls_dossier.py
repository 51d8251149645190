"""Dossier area: documents, the printable dossier, public notices and the holiday calendar."""

from django.urls import path

from . import views_dossier as v

urlpatterns = [
    path("cases/<int:case_id>/documents/", v.documents_panel, name="documents"),
    path("cases/<int:case_id>/documents/generate/", v.document_generate, name="document_generate"),
    path("documents/<int:document_id>/", v.document_download, name="document"),
    path("cases/<int:case_id>/dossier/", v.dossier, name="dossier"),
    path("cases/<int:case_id>/notices/new/", v.notice_create, name="notice_create"),
    path("notices/", v.notice_board, name="notices"),
    path("notices/<int:notice_id>/", v.notice_detail, name="notice_detail"),
    path("calendar/", v.calendar, name="calendar"),
    path("calendar/<int:day_id>/delete/", v.calendar_delete, name="calendar_delete"),
]
