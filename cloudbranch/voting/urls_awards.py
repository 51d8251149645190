"""Pages of the awards area (评先评优), under /democracy/."""

from django.urls import path

from . import views_awards as v

urlpatterns: list = [
    path("awards/", v.award_rounds, name="awards"),
    path("awards/new/", v.award_round_create, name="award_round_create"),
    path("awards/<int:round_id>/", v.award_round, name="award_round"),
    path("awards/<int:round_id>/advance/", v.award_advance, name="award_advance"),
    path("awards/<int:round_id>/nominate/", v.nomination_create, name="nomination_create"),
    path("awards/<int:round_id>/vote/", v.award_vote, name="award_vote"),
    path("awards/<int:round_id>/notice/", v.award_notice, name="award_notice"),
    path("awards/<int:round_id>/finalize/", v.award_finalize, name="award_finalize"),
    path("awards/<int:round_id>/list/", v.award_list, name="award_list"),
    path("nominations/<int:nomination_id>/", v.nomination_detail, name="nomination"),
    path("nominations/<int:nomination_id>/review/", v.nomination_review, name="nomination_review"),
    path("nominations/<int:nomination_id>/withdraw/", v.nomination_withdraw, name="nomination_withdraw"),
    path("nominations/<int:nomination_id>/objections/", v.objection_add, name="objection_add"),
    path("objections/<int:objection_id>/handle/", v.objection_handle, name="objection_handle"),
]
