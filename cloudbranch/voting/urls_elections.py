"""Pages of the elections area (换届选举)."""

from django.urls import path

from . import views_elections as views

urlpatterns = [
    path("elections/", views.election_list, name="elections"),
    path("elections/new/", views.election_create, name="election_create"),
    path("elections/<int:election_id>/", views.election_detail, name="election"),
    path("elections/<int:election_id>/edit/", views.election_edit, name="election_edit"),
    path("elections/<int:election_id>/cancel/", views.election_cancel, name="election_cancel"),
    path("elections/<int:election_id>/candidates/", views.candidates, name="candidates"),
    path("elections/<int:election_id>/voters/", views.roll, name="roll"),
    path("elections/<int:election_id>/voters/freeze/", views.roll_freeze, name="roll_freeze"),
    path("elections/<int:election_id>/checkin/", views.voter_checkin, name="voter_checkin"),
    path("elections/<int:election_id>/rounds/open/", views.round_open, name="round_open"),
    path("elections/rounds/<int:round_id>/close/", views.round_close, name="round_close"),
    path("elections/<int:election_id>/ballot/", views.ballot_cast, name="ballot"),
    path("elections/<int:election_id>/paper/", views.paper_ballot, name="paper_ballot"),
    path("elections/<int:election_id>/result/", views.result, name="result"),
    path("elections/<int:election_id>/result/report/", views.result_report, name="result_report"),
    path("elections/<int:election_id>/result/approve/", views.result_approve, name="result_approve"),
]
