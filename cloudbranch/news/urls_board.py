"""URLs of the message board (留言板)."""

from django.urls import path

from . import views_board as views

urlpatterns = [
    path("board/", views.board_page, name="board"),
    path("board/new/", views.message_create, name="message_create"),
    path("board/units/", views.board_units, name="board_units"),
    path("board/captcha.png", views.board_captcha, name="board_captcha"),
    path("board/manage/", views.board_manage, name="board_manage"),
    path("board/stats/", views.board_stats, name="board_stats"),
    path("board/<int:message_id>/", views.message_detail, name="message"),
    path("board/<int:message_id>/reply/", views.message_reply, name="message_reply"),
    path("board/<int:message_id>/close/", views.message_close, name="message_close"),
    path("board/<int:message_id>/pin/", views.message_pin, name="message_pin"),
]
