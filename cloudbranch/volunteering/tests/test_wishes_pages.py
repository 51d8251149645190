"""Micro-wishes pages and API: statuses, masking on every surface, sibling 404s, the photo's
scope, and query counts pinned as rows grow."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.volunteering import wishes
from cloudbranch.volunteering.choices import WishStatus
from cloudbranch.volunteering.models import Wish

from .factories import wish_member, wish_open, wish_png

pytestmark = pytest.mark.django_db


def _png():
    return SimpleUploadedFile("done.png", wish_png(), content_type="image/png")


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_member_tabs_mask_names(world, client, login):
    sec = world.users["secretary1"]
    wish = wish_open(sec, world.branch_a1, wisher_name="欧阳娜娜")
    login(world.users["member1"])
    page = client.get(reverse("volunteering:wishes")).content.decode()
    assert "欧阳**" in page and "欧阳娜娜" not in page and "13800001111" not in page
    detail = client.get(reverse("volunteering:wish", args=[wish.pk])).content.decode()
    assert "欧阳**" in detail and "13800001111" not in detail and "认领这个心愿" in detail
    api = client.get("/api/service/wishes").json()
    assert (
        api["count"] == 1 and api["items"][0]["wisher_name"] == "欧阳**" and api["items"][0]["wisher_contact"] is None
    )
    response = client.post(reverse("volunteering:wish_claim", args=[wish.pk]))
    assert response.status_code == 302
    detail = client.get(reverse("volunteering:wish", args=[wish.pk])).content.decode()
    assert "13800001111" in detail and "欧阳娜娜" not in detail
    assert client.get("/api/service/wishes?tab=mine").json()["items"][0]["wisher_contact"] == "13800001111"


def test_officer_sees_name_and_manage_tab(world, client, login):
    wish = wish_open(world.users["secretary1"], world.branch_a1, wisher_name="欧阳娜娜")
    login(world.users["secretary1"])
    page = client.get(reverse("volunteering:wishes")).content.decode()
    assert "欧阳娜娜" in page  # an officer without a person record lands on 管理
    api = client.get("/api/service/wishes/manage?status=open").json()
    assert api["items"][0]["wisher_name"] == "欧阳娜娜" and api["items"][0]["wisher_contact"] == "13800001111"
    assert client.get(f"/api/service/wishes/{wish.pk}").json()["wisher_name_masked"] is False


def test_sibling_secretary_404_everywhere(world, client, login):
    wish = wish_open(world.users["secretary1"], world.branch_a1)
    login(world.users["secretary2"])
    for name in ("wish", "wish_edit", "wish_photo"):
        assert client.get(reverse(f"volunteering:{name}", args=[wish.pk])).status_code == 404
    for name in ("wish_claim", "wish_confirm", "wish_withdraw", "wish_release", "wish_send_back"):
        assert (
            client.post(reverse(f"volunteering:{name}", args=[wish.pk]), {"reason": "x", "comment": "x"}).status_code
            == 404
        )
    assert client.get(f"/api/service/wishes/{wish.pk}").status_code == 404
    assert (
        client.post(
            f"/api/service/wishes/{wish.pk}/withdraw", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.get("/api/service/wishes/manage").json()["count"] == 0


def test_member_forbidden_officer_actions(world, client, login):
    wish = wish_open(world.users["secretary1"], world.branch_a1)
    login(world.users["member1"])
    assert client.get(reverse("volunteering:wish_edit", args=[wish.pk])).status_code == 403
    assert client.get(reverse("volunteering:wish_create")).status_code == 403
    assert client.post(reverse("volunteering:wish_withdraw", args=[wish.pk]), {"reason": "x"}).status_code == 403


def test_page_lifecycle_and_errors(world, client, login):
    sec, member = world.users["secretary1"], world.users["member1"]
    login(sec)
    response = client.post(
        reverse("volunteering:wish_create"),
        {"unit": world.branch_a1.pk, "title": "", "category": "study", "wisher_kind": "public", "wisher_name": "王五"},
    )
    assert response.status_code == 422 and Wish.objects.count() == 0
    response = client.post(
        reverse("volunteering:wish_create"),
        {
            "unit": world.branch_a1.pk,
            "title": "一台旧电脑",
            "category": "study",
            "wisher_kind": "public",
            "wisher_name": "王五",
        },
    )
    wish = Wish.objects.get()
    assert response.status_code == 302
    response = client.post(reverse("volunteering:wish_withdraw", args=[wish.pk]), {"reason": ""})
    assert response.status_code == 422 and "撤回原因" in response.content.decode()
    login(member)
    client.post(reverse("volunteering:wish_claim", args=[wish.pk]))
    fake = SimpleUploadedFile("fake.jpg", b"just some text", content_type="image/jpeg")
    response = client.post(reverse("volunteering:wish_fulfil", args=[wish.pk]), {"photo": fake, "note": "好了"})
    assert response.status_code == 422 and "不是有效的" in response.content.decode()
    response = client.post(reverse("volunteering:wish_fulfil", args=[wish.pk]), {"photo": _png(), "note": "已送达"})
    assert response.status_code == 302
    photo = client.get(reverse("volunteering:wish_photo", args=[wish.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    login(sec)
    assert client.post(reverse("volunteering:wish_confirm", args=[wish.pk])).status_code == 302
    response = client.post(reverse("volunteering:wish_confirm", args=[wish.pk]))
    assert response.status_code == 409
    wish.refresh_from_db()
    assert wish.status == WishStatus.CONFIRMED
    # The wall shows it with its photo to members of the audience; not to another branch.
    login(member)
    assert (
        reverse("volunteering:wish_photo", args=[wish.pk])
        in client.get(reverse("volunteering:wishes") + "?tab=wall").content.decode()
    )
    outsider, _ = wish_member(world.branch_b1)
    login(outsider)
    assert client.get(reverse("volunteering:wish_photo", args=[wish.pk])).status_code == 404


def test_api_lifecycle(world, client, login):
    login(world.users["secretary1"])
    created = client.post(
        "/api/service/wishes",
        {
            "unit": world.branch_a1.pk,
            "title": "轮椅一台",
            "category": "health",
            "wisher_kind": "in_need",
            "wisher_name": "赵六",
            "wisher_contact": "139",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    wish_id = created.json()["id"]
    login(world.users["member1"])
    assert client.post(f"/api/service/wishes/{wish_id}/claim").status_code == 200
    other, _ = wish_member(world.branch_a1)
    login(other)
    conflict = client.post(f"/api/service/wishes/{wish_id}/claim")
    assert conflict.status_code == 409 and conflict.json()["detail"]
    login(world.users["member1"])
    bad = client.post(
        f"/api/service/wishes/{wish_id}/fulfil", {"note": "ok", "photo": SimpleUploadedFile("a.jpg", b"text")}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "photo"
    ok = client.post(f"/api/service/wishes/{wish_id}/fulfil", {"note": "已送达", "photo": _png()})
    assert ok.status_code == 200 and ok.json()["status"] == "fulfilled" and ok.json()["photo_url"]
    login(world.users["secretary1"])
    back = client.post(
        f"/api/service/wishes/{wish_id}/send-back", {"comment": "补充说明"}, content_type="application/json"
    )
    assert back.json()["status"] == "claimed"
    login(world.users["member1"])
    release = client.post(f"/api/service/wishes/{wish_id}/release", {"reason": "没空"}, content_type="application/json")
    assert release.json()["status"] == "open"


def _grow(world, n):
    sec = world.users["secretary1"]
    member = world.users["member1"]
    for i in range(n):
        w = wish_open(sec, world.branch_a1, title=f"心愿{i}")
        if i % 3 == 0:
            wishes.wish_claim(actor=member, wish_id=w.pk)
            wishes.wish_fulfil(actor=member, wish_id=w.pk, photo=_png(), note="ok")
            wishes.wish_confirm(actor=sec, wish_id=w.pk)


@pytest.mark.parametrize(
    "who,url,expected",
    [
        ("member1", "/service/wishes/?tab=open", 8),
        ("member1", "/service/wishes/?tab=mine", 8),
        ("member1", "/service/wishes/?tab=wall", 8),
        ("secretary1", "/service/wishes/?tab=manage", 7),
        ("member1", "/api/service/wishes", 6),
        ("member1", "/api/service/wishes?tab=wall", 6),
        ("secretary1", "/api/service/wishes/manage", 6),
    ],
)
def test_query_counts_constant(world, client, login, who, url, expected):
    login(world.users[who])
    _grow(world, 3)
    few = _count(client, url)
    _grow(world, 9)
    many = _count(client, url)
    assert few == many == expected, (few, many)
