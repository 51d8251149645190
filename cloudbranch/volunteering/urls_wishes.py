"""Pages of the wishes area."""

from django.urls import path

from . import views_wishes as v

urlpatterns: list = [
    path("wishes/", v.wish_list, name="wishes"),
    path("wishes/new/", v.wish_create, name="wish_create"),
    path("wishes/<int:wish_id>/", v.wish_detail, name="wish"),
    path("wishes/<int:wish_id>/edit/", v.wish_edit, name="wish_edit"),
    path("wishes/<int:wish_id>/claim/", v.wish_claim, name="wish_claim"),
    path("wishes/<int:wish_id>/release/", v.wish_release, name="wish_release"),
    path("wishes/<int:wish_id>/fulfil/", v.wish_fulfil, name="wish_fulfil"),
    path("wishes/<int:wish_id>/confirm/", v.wish_confirm, name="wish_confirm"),
    path("wishes/<int:wish_id>/send-back/", v.wish_send_back, name="wish_send_back"),
    path("wishes/<int:wish_id>/withdraw/", v.wish_withdraw, name="wish_withdraw"),
    path("wish-photos/<int:wish_id>/", v.wish_photo, name="wish_photo"),
]
