"""Read receipts, read rate per unit, reminders (button and job), the reader list and its query
counts, the API."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.news import articles as svc
from cloudbranch.news.models import Article, ReadReceipt
from cloudbranch.news.tests.factories import article_published, publicity_officer
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

pytestmark = pytest.mark.django_db


def person_user(unit, **fields):
    user = UserFactory()
    PersonFactory(unit=unit, user=user, **fields)
    return user


@pytest.fixture
def notice(world):
    """A college_a notice requiring reading; audience: college_a's subtree persons on the roster."""
    college_secretary = UserFactory(username="college_secretary")
    grant(college_secretary, world.college_a, Role.COMMITTEE_SECRETARY)
    officer = publicity_officer(world.college_a)
    article = article_published(
        world.college_a,
        officer,
        college_secretary,
        requires_reading=True,
        read_deadline=(timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
    )
    article.officer = officer
    article.secretary = college_secretary
    return article


def test_receipt_written_once_for_audience_only(world, notice, client):
    url = reverse("news:article", args=[notice.pk])
    client.force_login(world.users["member1"])
    r = client.get(url)
    assert r.status_code == 200 and "已读" in r.content.decode()
    client.get(url)
    assert ReadReceipt.objects.filter(article=notice).count() == 1
    # Outside the audience (other college; the public article is still readable): no receipt.
    other = person_user(world.branch_b1)
    Article.objects.filter(pk=notice.pk).update(visibility="school")
    client.force_login(other)
    assert client.get(url).status_code == 200
    assert ReadReceipt.objects.filter(article=notice).count() == 1
    # A manager without a person record reads without a receipt.
    client.force_login(notice.secretary)
    assert client.get(url).status_code == 200
    assert ReadReceipt.objects.filter(article=notice).count() == 1


def test_read_rate_per_unit(world, notice):
    # audience: member1, a1_other (branch_a1), a2_person (branch_a2), + 1 at college_a, + 1 in group_a1 (→ a1)
    PersonFactory(unit=world.college_a, name="学院一人")
    group_user = person_user(world.group_a1)
    PersonFactory(unit=world.branch_a1, name="已离校", roster_status="left")
    a2_user = person_user(world.branch_a2)  # second a2 person
    for user in (world.users["member1"], group_user, a2_user):
        svc.record_read(user=user, article=svc.Article.objects.select_related("unit").get(pk=notice.pk))
    with CaptureQueriesContext(connection) as ctx:
        stats = svc.receipt_stats(notice)
    assert len(ctx.captured_queries) == 2
    by_name = {u.name: (u.audience, u.read) for u in stats.units}
    assert by_name == {
        "计算机学院党委（本级）": (1, 0),
        "计算机本科第一党支部": (3, 2),
        "计算机本科第二党支部": (2, 1),
    }
    assert (stats.audience, stats.read, stats.rate) == (6, 3, 50.0)
    assert {u.name: u.rate for u in stats.units}["计算机本科第一党支部"] == 66.7
    unread = list(svc.unread_people(notice).values_list("name", flat=True))
    assert "学院一人" in unread and "张一" in unread and "已离校" not in unread and len(unread) == 3


def test_members_only_audience_excludes_non_members(world, notice):
    Article.objects.filter(pk=notice.pk).update(visibility="members")
    notice.refresh_from_db()
    PersonFactory(unit=world.branch_a1, political_status="activist", confirmed_on=None, joined_on=None)
    masses_user = person_user(world.branch_a1, political_status="masses", confirmed_on=None, joined_on=None)
    assert not svc.record_read(user=masses_user, article=notice)
    stats = svc.receipt_stats(notice)
    assert stats.audience == 3  # member1, a1_other, a2_person (all full members)


def test_receipts_page_and_remind(world, notice, client):
    client.force_login(notice.officer)
    r = client.get(reverse("news:article_receipts", args=[notice.pk]))
    assert r.status_code == 200 and "阅读率" in r.content.decode()
    world.users["a1_other"] = UserFactory()
    world.people["a1_other"].user = world.users["a1_other"]
    world.people["a1_other"].save()
    r = client.post(reverse("news:article_remind", args=[notice.pk]))
    assert r.status_code == 302
    reminded = set(Notification.objects.filter(title__startswith="阅读提醒").values_list("recipient_id", flat=True))
    assert reminded == {world.users["member1"].pk, world.users["a1_other"].pk}
    client.post(reverse("news:article_remind", args=[notice.pk]))  # the same day: nobody twice
    assert Notification.objects.filter(title__startswith="阅读提醒").count() == 2
    for user in (world.users["secretary2"], world.users["member1"]):
        client.force_login(user)
        assert client.get(reverse("news:article_receipts", args=[notice.pk])).status_code == 404
        assert client.post(reverse("news:article_remind", args=[notice.pk])).status_code in (302, 404)
    assert Notification.objects.filter(title__startswith="阅读提醒").count() == 2


def test_reminder_job_idempotent(world, notice):
    today = timezone.localdate()
    assert svc.send_read_reminders(today) == 1  # member1 (the only unread person with an account)
    assert svc.send_read_reminders(today) == 0
    svc.record_read(user=world.users["member1"], article=notice)
    assert svc.send_read_reminders(today + datetime.timedelta(days=1)) == 0
    # Far from the deadline: no reminder yet.
    Article.objects.filter(pk=notice.pk).update(read_deadline=today + datetime.timedelta(days=10))
    assert svc.send_read_reminders(today) == 0
    from cloudbranch.news.jobs import send_read_reminders

    send_read_reminders.enqueue()


# --- reader list ---------------------------------------------------------------------------------


def _bulk(world, n, *, start=0):
    author = world.users["secretary1"]
    now = timezone.now()
    Article.objects.bulk_create(
        [
            Article(
                unit=world.branch_a1 if i % 2 else world.college_a,
                author=author,
                category="news",
                title=f"动态{start + i}",
                body="<p>内容</p>",
                visibility="subtree",
                status="published",
                published_at=now - datetime.timedelta(minutes=start + i),
                requires_reading=bool(i % 3 == 0),
            )
            for i in range(n)
        ]
    )


def test_article_list_query_count_constant_and_pinned_first(world, client):
    _bulk(world, 3)
    pinned = Article.objects.order_by("published_at").first()
    Article.objects.filter(pk=pinned.pk).update(pinned=True)
    client.force_login(world.users["member1"])
    url = reverse("news:articles")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        r = client.get(url)
    assert r.status_code == 200
    assert r.context["page"].object_list[0].pk == pinned.pk
    _bulk(world, 30, start=10)
    with CaptureQueriesContext(connection) as big:
        r = client.get(url)
    assert len(r.context["page"].object_list) == 20 and r.context["page"].object_list[0].pk == pinned.pk
    assert len(big.captured_queries) == len(small.captured_queries)
    assert len(big.captured_queries) == 8, [q["sql"] for q in big.captured_queries]
    from cloudbranch.news import search

    assert search.reindex()[0] == 33  # bulk_create bypassed index_article
    with CaptureQueriesContext(connection) as searched:
        r = client.get(url + "?q=动态&category=news")
    assert r.status_code == 200 and r.context["page"].paginator.count == 33
    assert len(searched.captured_queries) == len(big.captured_queries)


def test_list_tabs_badge_and_htmx(world, client):
    _bulk(world, 4)
    client.force_login(world.users["member1"])
    r = client.get(reverse("news:articles"))
    html = r.content.decode()
    assert "未读通知" in html and "通知公告" in html and "党务公开" in html
    assert r.context["unread"] == 2  # i = 0 and 3 require reading
    r = client.get(
        reverse("news:articles") + "?category=notice", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="article-results"
    )
    assert r.status_code == 200 and "<html" not in r.content.decode() and "暂无文章" in r.content.decode()


def test_menu_entry(world, client):
    client.force_login(world.users["member1"])
    assert "党建动态" in client.get(reverse("news:articles")).content.decode()
    from cloudbranch.core.nav import menu_for

    assert any(i["key"] == "news" for i in menu_for(world.users["member1"]))
    assert any(i["key"] == "news" for i in menu_for(publicity_officer(world.branch_a1)))
    assert not any(i["key"] == "news" for i in menu_for(world.users["sysadmin"]))


def test_cover_image_exif_stripped_and_resized(world):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    img = Image.new("RGB", (3200, 1000), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    officer = publicity_officer(world.branch_a1)
    article = svc.article_create(
        actor=officer,
        unit_id=world.branch_a1.pk,
        data={"category": "news", "title": "封面", "body": "<p>x</p>", "visibility": "subtree"},
        cover=SimpleUploadedFile("photo.jpg", buf.getvalue(), content_type="image/jpeg"),
    )
    with article.cover.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert max(stored.size) == 1600 and not stored.getexif()
    from cloudbranch.core.errors import DomainError

    with pytest.raises(DomainError):
        svc.article_create(
            actor=officer,
            unit_id=world.branch_a1.pk,
            data={"category": "news", "title": "坏附件", "body": "<p>x</p>"},
            attachments=[SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/octet-stream")],
        )
    with pytest.raises(DomainError):
        svc.article_create(
            actor=officer,
            unit_id=world.branch_a1.pk,
            data={"category": "news", "title": "假PDF", "body": "<p>x</p>"},
            attachments=[SimpleUploadedFile("a.pdf", b"not a pdf", content_type="application/pdf")],
        )
    assert Article.objects.count() == 1


# --- API -----------------------------------------------------------------------------------------


def test_api_workflow_and_receipts(world, client):
    officer = publicity_officer(world.branch_a1)
    client.force_login(officer)
    r = client.post(
        "/api/news/articles",
        {
            "unit_id": world.branch_a1.pk,
            "category": "notice",
            "title": "API 通知",
            "body": "<p onclick='x'>请阅读</p>",
            "visibility": "subtree",
            "requires_reading": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert "onclick" not in r.json()["body"]
    assert (
        client.patch(
            f"/api/news/articles/{pk}", {"title": "API 通知（修订）"}, content_type="application/json"
        ).status_code
        == 200
    )
    assert client.post(f"/api/news/articles/{pk}/submit").status_code == 200
    assert client.post(f"/api/news/articles/{pk}/approve", {}, content_type="application/json").status_code == 403
    client.force_login(world.users["secretary1"])
    r = client.post(f"/api/news/articles/{pk}/approve", {"comment": "好"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "published"
    r = client.post(f"/api/news/articles/{pk}/approve", {}, content_type="application/json")
    assert r.status_code == 409 and r.json()["detail"]
    client.force_login(world.users["member1"])
    r = client.get("/api/news/articles?category=notice")
    assert r.status_code == 200 and r.json()["count"] == 1 and r.json()["items"][0]["unread"] is True
    r = client.post(f"/api/news/articles/{pk}/read")
    assert r.json() == {"article_id": pk, "read": True, "asked_to_read": True}
    assert client.get(f"/api/news/articles/{pk}/receipts").status_code == 404
    client.force_login(world.users["secretary1"])
    r = client.get(f"/api/news/articles/{pk}/receipts")
    assert r.status_code == 200
    body = r.json()
    assert (body["audience"], body["read"], body["rate"]) == (2, 1, 50.0)
    r = client.get(f"/api/news/articles/{pk}/receipts/unread")
    assert r.json()["count"] == 1 and r.json()["items"][0]["name"] == "张一"
    assert client.get("/api/news/articles/manage?status=published").json()["count"] == 1
    r = client.post(f"/api/news/articles/{pk}/withdraw", {"reason": ""}, content_type="application/json")
    assert r.status_code == 422
    client.force_login(world.users["secretary2"])
    assert client.get(f"/api/news/articles/{pk}").status_code == 404
    assert (
        client.post(f"/api/news/articles/{pk}/withdraw", {"reason": "x"}, content_type="application/json").status_code
        == 404
    )
