"""Quiz area URLs: daily quiz, wrong-answer book, mastery, unit weak points, contests, duels."""

from django.urls import path

from . import views_quiz as v

urlpatterns = [
    path("daily/", v.daily_page, name="daily"),
    path("daily/answer/", v.daily_answer, name="daily_answer"),
    path("wrong/", v.wrong_list, name="wrongbook"),
    path("wrong/<int:wrong_id>/", v.wrong_review, name="wrong_review"),
    path("mastery/", v.mastery_page, name="mastery"),
    path("practice/<int:question_id>/", v.practice, name="practice"),
    path("weak/", v.unit_weak, name="unit_weak"),
    path("contests/", v.contest_list, name="contests"),
    path("contests/new/", v.contest_create, name="contest_create"),
    path("contests/<int:contest_id>/", v.contest_detail, name="contest"),
    path("contests/<int:contest_id>/enter/", v.contest_enter, name="contest_enter"),
    path("contests/<int:contest_id>/play/", v.contest_play, name="contest_play"),
    path("contests/<int:contest_id>/answer/", v.contest_answer, name="contest_answer"),
    path("contests/<int:contest_id>/board/", v.contest_board, name="contest_board"),
    path("duels/", v.duel_list, name="duels"),
    path("duels/new/", v.duel_create, name="duel_create"),
    path("duels/<int:duel_id>/", v.duel_page, name="duel"),
    path("duels/<int:duel_id>/state/", v.duel_state, name="duel_state"),
    path("duels/<int:duel_id>/accept/", v.duel_accept, name="duel_accept"),
    path("duels/<int:duel_id>/decline/", v.duel_decline, name="duel_decline"),
    path("duels/<int:duel_id>/answer/", v.duel_answer, name="duel_answer"),
]
