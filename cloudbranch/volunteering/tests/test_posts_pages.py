"""Pages of the posts area: member and organizer journeys, errors on the page, sibling 404s."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cloudbranch.volunteering import checkin, signups
from cloudbranch.volunteering.choices import PostStatus, SignupStatus
from cloudbranch.volunteering.models import ServicePost, Signup

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_post(world):
    return posts_open_post(world.users["secretary1"], world.branch_a1, headcount=1)


def test_member_lists_and_signs_up(world, login, open_post):
    post, (shift,) = open_post
    client = login(world.users["member1"])
    page = client.get(reverse("volunteering:posts"))
    assert page.status_code == 200 and post.title in page.content.decode()
    assert "管理" not in page.content.decode()
    detail = client.get(reverse("volunteering:post", args=[post.pk]))
    assert "报名" in detail.content.decode()
    resp = client.post(reverse("volunteering:signup", args=[shift.pk]))
    assert resp.status_code == 302
    assert Signup.objects.get(shift=shift).status == SignupStatus.SIGNED_UP
    again = client.post(reverse("volunteering:signup", args=[shift.pk]))
    assert again.status_code == 409 and "无需重复报名" in again.content.decode()
    mine = client.get(reverse("volunteering:my_service"))
    assert mine.status_code == 200 and "取消报名" in mine.content.decode()


def test_filters(world, login, open_post):
    post, _ = open_post
    client = login(world.users["member1"])
    assert post.title not in client.get(reverse("volunteering:posts") + "?area=rural").content.decode()
    assert post.title in client.get(reverse("volunteering:posts") + "?area=campus").content.decode()


def test_sibling_secretary_404(world, login, open_post):
    post, (shift,) = open_post
    client = login(world.users["secretary2"])
    assert client.get(reverse("volunteering:post", args=[post.pk])).status_code == 404
    assert client.get(reverse("volunteering:shift_roster", args=[shift.pk])).status_code == 404
    assert client.get(reverse("volunteering:post_edit", args=[post.pk])).status_code == 404
    assert client.get(reverse("volunteering:checkin_screen", args=[shift.pk])).status_code == 404
    assert client.post(reverse("volunteering:post_close", args=[post.pk])).status_code == 404
    # nor does a member of the sibling branch see it
    u, _ = posts_member(world.branch_a2)
    assert login(u).get(reverse("volunteering:post", args=[post.pk])).status_code == 404


def test_member_cannot_open_roster(world, login, open_post):
    _post, (shift,) = open_post
    assert login(world.users["member1"]).get(reverse("volunteering:shift_roster", args=[shift.pk])).status_code == 404


def test_organizer_creates_adds_shift_publishes(world, login):
    client = login(world.users["secretary1"])
    assert client.get(reverse("volunteering:post_create")).status_code == 200
    resp = client.post(
        reverse("volunteering:post_create"),
        {"unit": world.branch_a1.pk, "title": "义务家教", "area": "education", "content_type": "tutoring",
         "place": "图书馆", "skills": ["teaching"]},
    )  # fmt: skip
    post = ServicePost.objects.get(title="义务家教")
    assert resp.status_code == 302 and post.status == PostStatus.DRAFT and post.skills == ["teaching"]
    bad = client.post(reverse("volunteering:post_publish", args=[post.pk]))
    assert bad.status_code == 422 and "尚未开始的服务时段" in bad.content.decode()
    start = timezone.localtime() + datetime.timedelta(days=2)
    fmt = "%Y-%m-%dT%H:%M"
    wrong = client.post(
        reverse("volunteering:shift_add", args=[post.pk]),
        {"starts_at": start.strftime(fmt), "ends_at": start.strftime(fmt), "headcount": 3},
    )
    assert wrong.status_code == 422 and "结束时间必须晚于开始时间" in wrong.content.decode()
    ok = client.post(
        reverse("volunteering:shift_add", args=[post.pk]),
        {
            "starts_at": start.strftime(fmt),
            "ends_at": (start + datetime.timedelta(hours=2)).strftime(fmt),
            "headcount": 3,
        },
    )
    assert ok.status_code == 302
    assert client.post(reverse("volunteering:post_publish", args=[post.pk])).status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.OPEN
    manage = client.get(reverse("volunteering:posts") + "?tab=manage")
    assert "义务家教" in manage.content.decode()


def test_member_cannot_create(world, login):
    assert login(world.users["member1"]).get(reverse("volunteering:post_create")).status_code == 403


def test_cancel_after_cutoff_shows_message(world, login):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, starts_in=datetime.timedelta(hours=5))
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    resp = login(world.users["member1"]).post(reverse("volunteering:signup_cancel", args=[row.pk]))
    assert resp.status_code == 422 and "联系组织者" in resp.content.decode()


def test_roster_confirm_and_rate_flow(world, login, open_post):
    _post, (shift,) = open_post
    row = signups.signup(actor=world.users["member1"], shift_id=shift.pk)
    Signup.objects.filter(pk=row.pk).update(
        status=SignupStatus.CHECKED_OUT, checked_in_at=shift.starts_at, checked_out_at=shift.ends_at
    )
    client = login(world.users["secretary1"])
    roster = client.get(reverse("volunteering:shift_roster", args=[shift.pk]))
    assert roster.status_code == 200 and "党员一" in roster.content.decode() and "建议 2.0" in roster.content.decode()
    assert client.post(reverse("volunteering:hours_confirm", args=[row.pk]), {"rating": "5"}).status_code == 302
    twice = client.post(reverse("volunteering:hours_confirm", args=[row.pk]))
    assert twice.status_code == 409
    member = login(world.users["member1"])
    mine = member.get(reverse("volunteering:my_service"))
    assert "待评价" in mine.content.decode() and "2.0" in mine.content.decode()
    assert member.post(reverse("volunteering:signup_rate", args=[row.pk]), {"rating": "4"}).status_code == 302
    assert member.post(reverse("volunteering:signup_rate", args=[row.pk]), {"rating": "4"}).status_code == 409


def test_checkin_screen_and_landing(world, login):
    _post, (shift,) = posts_open_post(
        world.users["secretary1"], world.branch_a1, starts_in=datetime.timedelta(minutes=10)
    )
    signups.signup(actor=world.users["member1"], shift_id=shift.pk, now=shift.starts_at - datetime.timedelta(hours=2))
    client = login(world.users["secretary1"])
    screen = client.get(reverse("volunteering:checkin_screen", args=[shift.pk]))
    assert screen.status_code == 200 and "<svg" in screen.content.decode()
    qr = client.get(reverse("volunteering:checkin_qr", args=[shift.pk]), headers={"HX-Request": "true"})
    assert qr.status_code == 200 and "checkin-qr" in qr.content.decode()
    member = login(world.users["member1"])
    token = checkin.make_token(shift)
    landing = member.get(reverse("volunteering:checkin") + "?t=" + token)
    assert landing.status_code == 200 and Signup.objects.get(shift=shift).status == SignupStatus.SIGNED_UP
    done = member.post(reverse("volunteering:checkin"), {"token": token})
    assert done.status_code == 200 and "签到成功" in done.content.decode()
    bad = member.post(reverse("volunteering:checkin"), {"token": "1.bad"})
    assert bad.status_code == 422
