"""/api/service (posts area): the same services through the API."""

import datetime

import pytest
from django.utils import timezone

from cloudbranch.volunteering import checkin
from cloudbranch.volunteering.choices import SignupStatus
from cloudbranch.volunteering.models import Signup

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db
API = "/api/service"


def test_organizer_creates_and_publishes(world, login):
    client = login(world.users["secretary1"])
    resp = client.post(
        f"{API}/posts",
        {"unit_id": world.branch_a1.pk, "title": "API 岗位", "area": "online", "content_type": "tech", "place": "线上"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    post_id = resp.json()["id"]
    assert client.post(f"{API}/posts/{post_id}/publish").status_code == 422
    start = timezone.now() + datetime.timedelta(days=2)
    shift = client.post(
        f"{API}/posts/{post_id}/shifts",
        {"starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=2)).isoformat(), "headcount": 2},
        content_type="application/json",
    )
    assert shift.status_code == 201 and shift.json()["seats_left"] == 2
    assert client.post(f"{API}/posts/{post_id}/publish").json()["status"] == "open"
    assert client.post(f"{API}/posts/{post_id}/publish").status_code == 409
    bad = client.post(
        f"{API}/posts/{post_id}/shifts",
        {"starts_at": start.isoformat(), "ends_at": start.isoformat(), "headcount": 0},
        content_type="application/json",
    )
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"ends_at", "headcount"}


def test_member_flow(world, login):
    post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=1)
    other, _ = posts_member(world.branch_a1)
    login(other).post(f"{API}/shifts/{shift.pk}/signup")
    client = login(world.users["member1"])
    listing = client.get(f"{API}/posts")
    assert listing.status_code == 200
    body = listing.json()
    assert body["count"] == 1 and body["items"][0]["shifts"][0]["seats_left"] == 0
    resp = client.post(f"{API}/shifts/{shift.pk}/signup")
    assert resp.status_code == 201 and resp.json()["status"] == "waitlisted" and resp.json()["waitlist_position"] == 1
    assert client.post(f"{API}/shifts/{shift.pk}/signup").status_code == 409
    mine = client.get(f"{API}/me/signups").json()
    assert mine["count"] == 1 and mine["items"][0]["waitlist_position"] == 1
    detail = client.get(f"{API}/posts/{post.pk}").json()
    assert detail["shifts"][0]["waitlisted"] == 1 and detail["average_rating"] is None
    signup_id = resp.json()["id"]
    assert client.post(f"{API}/signups/{signup_id}/cancel").json()["status"] == "cancelled"


def test_checkin_roster_confirm(world, login):
    _post, (shift,) = posts_open_post(
        world.users["secretary1"],
        world.branch_a1,
        starts_in=datetime.timedelta(minutes=5),
        deadline_before=datetime.timedelta(0),
    )
    client = login(world.users["member1"])
    row = client.post(f"{API}/shifts/{shift.pk}/signup").json()
    resp = client.post(f"{API}/checkin", {"token": checkin.make_token(shift)}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["action"] == "in"
    Signup.objects.filter(pk=row["id"]).update(status=SignupStatus.CHECKED_OUT, checked_out_at=shift.ends_at)
    org = login(world.users["secretary1"])
    roster = org.get(f"{API}/shifts/{shift.pk}/roster").json()
    assert roster["count"] == 1 and roster["items"][0]["person_name"] == "党员一"
    ok = org.post(f"{API}/signups/{row['id']}/confirm", {}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    assert org.post(f"{API}/signups/{row['id']}/confirm", {}, content_type="application/json").status_code == 409
    client = login(world.users["member1"])
    assert client.get(f"{API}/me/hours").json()[0]["times"] == 1
    rate = client.post(f"{API}/signups/{row['id']}/rating", {"rating": 5}, content_type="application/json")
    assert rate.status_code == 200 and rate.json()["member_rating"] == 5


def test_sibling_404_in_api(world, login):
    post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1)
    client = login(world.users["secretary2"])
    assert client.get(f"{API}/posts/{post.pk}").status_code == 404
    assert client.get(f"{API}/shifts/{shift.pk}/roster").status_code == 404
    assert client.post(f"{API}/posts/{post.pk}/close").status_code == 404
    assert client.get(f"{API}/posts?scope=manage").json()["count"] == 0
