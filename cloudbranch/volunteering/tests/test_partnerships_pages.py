"""Co-building pages and API: sibling 404s, forms with 422, links by URL name, the summary,
and query counts pinned as rows grow."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.testing.factories import PersonFactory
from cloudbranch.volunteering import partnerships as ps
from cloudbranch.volunteering.models import Partnership, PartnershipSummary

from .factories import partner_make, partnership_make

pytestmark = pytest.mark.django_db


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_sibling_secretary_404_everywhere(world, client, login):
    sec = world.users["secretary1"]
    p = partnership_make(sec, world.branch_a1)
    login(world.users["secretary2"])
    urls = [
        reverse("volunteering:partnership", args=[p.pk]),
        reverse("volunteering:partnership_edit", args=[p.pk]),
        reverse("volunteering:activity_add", args=[p.pk]),
        reverse("volunteering:summary", args=[p.pk, timezone.localdate().year]),
        reverse("volunteering:agreement_file", args=[p.pk]),
        reverse("volunteering:partner_edit", args=[p.partner_id]),
        f"/api/service/partnerships/{p.pk}",
        f"/api/service/partnerships/{p.pk}/activities",
        f"/api/service/partnerships/{p.pk}/summaries/{timezone.localdate().year}",
        reverse("volunteering:partnerships") + f"?unit={world.branch_a1.pk}",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("volunteering:partnership_end", args=[p.pk]), {"reason": "x"}).status_code == 404
    assert client.get("/api/service/partnerships").json()["count"] == 0
    assert client.get("/api/service/partners").json()["count"] == 0
    login(world.users["member1"])
    assert client.get(reverse("volunteering:partnerships")).status_code == 403
    assert client.get(reverse("volunteering:partnership", args=[p.pk])).status_code == 404


def test_pages_flow(world, client, login):
    sec = world.users["secretary1"]
    login(sec)
    response = client.post(
        reverse("volunteering:partner_create"), {"unit": world.branch_a1.pk, "name": "某社区", "kind": "community"}
    )
    assert response.status_code == 302
    partner = ps.access_partner(sec, ps.partner_list(sec).get().pk)
    data = {"unit": world.branch_a1.pk, "partner": partner.pk, "title": "社区共建", "goals": "志愿服务\n主题党日",
            "signed_on": f"{timezone.localdate().year}-01-01", "starts_on": f"{timezone.localdate().year}-01-01", "ends_on": f"{timezone.localdate().year - 1}-12-31"}  # fmt: skip
    response = client.post(reverse("volunteering:partnership_create"), data)
    assert response.status_code == 422 and "结束日期不能早于开始日期" in response.content.decode()
    assert not Partnership.objects.exists()
    data["ends_on"] = f"{timezone.localdate().year}-12-31"
    assert client.post(reverse("volunteering:partnership_create"), data).status_code == 302
    p = Partnership.objects.get()
    start = timezone.now()
    meeting = apps.get_model("meetings", "Meeting").objects.create(
        unit=world.branch_a1, kind="general", status="held", title="联合主题党日会议", place="社区", invitee_scope="whole_unit",
        starts_at=start, ends_at=start + datetime.timedelta(hours=1), created_by=sec,
    )  # fmt: skip
    post = apps.get_model("news", "Post").objects.create(
        unit=world.branch_a1, author=PersonFactory(unit=world.branch_a1), body="报道"
    )
    response = client.post(
        reverse("volunteering:activity_add", args=[p.pk]),
        {
            "held_on": timezone.localdate().isoformat(),
            "title": "联合党日",
            "participants": 12,
            "goal_index": 1,
            "meeting": meeting.pk,
            "post": post.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(reverse("volunteering:partnership", args=[p.pk])).content.decode()
    assert reverse("meetings:detail", args=[meeting.pk]) in page and reverse("news:post", args=[post.pk]) in page
    summary_url = reverse("volunteering:summary", args=[p.pk, timezone.localdate().year])
    assert "共开展共建活动 1 次" in client.get(summary_url).content.decode()
    assert client.post(summary_url, {"text": "年度总结定稿"}).status_code == 302
    assert PartnershipSummary.objects.get().text == "年度总结定稿"
    assert "年度总结定稿" in client.get(summary_url + "?print=1").content.decode()
    response = client.post(reverse("volunteering:partnership_end", args=[p.pk]), {"reason": "对方撤并"})
    assert response.status_code == 302
    assert "已终止" in client.get(reverse("volunteering:partnership", args=[p.pk])).content.decode()


def test_api_flow(world, client, login):
    sec = world.users["secretary1"]
    login(sec)
    created = client.post(
        "/api/service/partners",
        {"unit": world.branch_a1.pk, "name": "某医院", "kind": "hospital"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    partner_id = created.json()["id"]
    bad = client.post("/api/service/partnerships", {"unit": world.branch_a1.pk, "partner": partner_id, "title": "医院共建", "goals": "义诊",
                      "signed_on": "2025-01-01", "starts_on": "2025-06-01", "ends_on": "2025-01-01"})  # fmt: skip
    assert bad.status_code == 422
    made = client.post("/api/service/partnerships", {"unit": world.branch_a1.pk, "partner": partner_id, "title": "医院共建", "goals": "义诊\n健康讲座",
                       "signed_on": f"{timezone.localdate().year}-01-01", "starts_on": f"{timezone.localdate().year}-01-01", "ends_on": f"{timezone.localdate().year}-12-31"})  # fmt: skip
    assert made.status_code == 201 and made.json()["goals"] == ["义诊", "健康讲座"]
    pid = made.json()["id"]
    act = client.post(
        f"/api/service/partnerships/{pid}/activities",
        {"held_on": timezone.localdate().isoformat(), "title": "义诊", "participants": 8, "goal_index": 0},
        content_type="application/json",
    )
    assert act.status_code == 201
    draft = client.get(f"/api/service/partnerships/{pid}/summaries/{timezone.localdate().year}").json()
    assert draft["saved"] is False and "义诊：已开展活动 1 次" in draft["text"]
    saved = client.put(
        f"/api/service/partnerships/{pid}/summaries/{timezone.localdate().year}",
        {"text": "总结"},
        content_type="application/json",
    )
    assert saved.json()["saved"] is True
    assert client.get(f"/api/service/partnerships/{pid}/summaries").json()["count"] == 1
    ended = client.post(f"/api/service/partnerships/{pid}/end", {"reason": "到此为止"}, content_type="application/json")
    assert ended.json()["status"] == "terminated"
    again = client.post(f"/api/service/partnerships/{pid}/end", {"reason": "再次"}, content_type="application/json")
    assert again.status_code == 409


def _grow(world, n):
    sec = world.users["secretary1"]
    for i in range(n):
        partner = partner_make(
            sec,
            world.branch_a1,
            name=f"单位{len(ps.partner_list(sec))}-{i}",
            kind=["community", "enterprise", "school"][i % 3],
        )
        p = partnership_make(sec, world.branch_a1, partner)
        ps.activity_add(
            actor=sec, partnership_id=p.pk, title="活动", held_on=timezone.localdate(), participants=3, goal_index=i % 2
        )


@pytest.mark.parametrize(
    "url,expected",
    [
        ("/service/partnerships/", 7),
        ("/service/partnerships/?status=active", 7),
        ("/service/partners/", 6),
        ("/api/service/partnerships", 5),
        ("/api/service/partners", 5),
    ],
)
def test_query_counts_constant(world, client, login, url, expected):
    login(world.users["admin"])
    _grow(world, 2)
    few = _count(client, url)
    _grow(world, 6)
    many = _count(client, url)
    assert few == many == expected, (few, many)


def test_detail_query_count_constant(world, client, login):
    sec = world.users["secretary1"]
    p = partnership_make(sec, world.branch_a1)
    login(sec)
    ps.activity_add(
        actor=sec, partnership_id=p.pk, title="活动", held_on=timezone.localdate(), participants=3, goal_index=0
    )
    url = reverse("volunteering:partnership", args=[p.pk])
    few = _count(client, url)
    for i in range(8):
        ps.activity_add(
            actor=sec,
            partnership_id=p.pk,
            title=f"活动{i}",
            held_on=timezone.localdate(),
            participants=3,
            goal_index=i % 2,
        )
    assert _count(client, url) == few
