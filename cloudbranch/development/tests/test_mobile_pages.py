"""Mobile-member and lost-contact pages and API: permission matrix, forms, masked phones,
pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.development import mobile
from cloudbranch.development.models import LostContact, MobileRecord
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.testing.factories import PersonFactory, make_unit

D = datetime.date


def register(world, person=None, **kw):
    data = {
        "started_on": D(2026, 3, 1),
        "destination": "广东省深圳市",
        "reason": "work",
        "contact_phone": "13912345678",
    }
    data.update(kw)
    return mobile.mobile_register(
        actor=world.users["secretary1"], person_id=(person or world.people["member1"]).pk, **data
    )


@pytest.fixture
def record(world):
    return register(world)


@pytest.fixture
def lost(world):
    return mobile.lost_open(
        actor=world.users["secretary1"], person_id=world.people["a1_other"].pk, lost_since=D(2025, 1, 1)
    )


# --- permission matrix ----------------------------------------------------------------------

LIST_MATRIX = {
    "anonymous": 302,
    "member1": 403,
    "secretary1": 200,
    "secretary2": 200,
    "admin": 200,
    "sysadmin": 403,
    "auditor": 403,
}


@pytest.mark.parametrize("url_name", ["development:mobile", "development:lost_contacts"])
@pytest.mark.parametrize(("who", "expected"), LIST_MATRIX.items())
def test_list_matrix(world, client, record, lost, url_name, who, expected):
    if who != "anonymous":
        client.force_login(world.users[who])
    response = client.get(reverse(url_name))
    assert response.status_code == expected
    if expected == 200:
        visible = who in ("secretary1", "admin")
        name = world.people["member1"].name if url_name == "development:mobile" else world.people["a1_other"].name
        assert (name in response.content.decode()) is visible


DETAIL_MATRIX = {"member1": 200, "secretary1": 200, "secretary2": 404, "admin": 200, "sysadmin": 404}


@pytest.mark.parametrize(("who", "expected"), DETAIL_MATRIX.items())
def test_mobile_detail_matrix(world, client, record, who, expected):
    client.force_login(world.users[who])
    response = client.get(reverse("development:mobile_detail", args=[record.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"), {"member1": 404, "secretary1": 200, "secretary2": 404, "admin": 200}.items()
)
def test_lost_detail_matrix(world, client, lost, who, expected):
    client.force_login(world.users[who])
    assert client.get(reverse("development:lost_detail", args=[lost.pk])).status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"), {"member1": 403, "secretary1": 302, "secretary2": 404, "admin": 302}.items()
)
def test_return_matrix(world, client, record, who, expected):
    client.force_login(world.users[who])
    response = client.post(reverse("development:mobile_return", args=[record.pk]), {"returned_on": "2026-06-01"})
    assert response.status_code == expected
    record.refresh_from_db()
    assert (record.status == "returned") is (expected == 302)


def test_sibling_cannot_post_on_lost(world, client, lost):
    client.force_login(world.users["secretary2"])
    for name, data in [
        ("development:lost_attempt", {"attempted_on": "2025-02-01", "method": "phone"}),
        ("development:lost_suspend", {"suspended_on": "2025-08-01"}),
        ("development:lost_restore", {"restored_on": "2025-08-01"}),
    ]:
        assert client.post(reverse(name, args=[lost.pk]), data).status_code == 404
    assert not lost.attempts.exists()


# --- pages ----------------------------------------------------------------------------------


def test_create_page_registers(world, client):
    branch = make_unit(parent=world.root, kind=UnitKind.MOBILE_BRANCH, name="上海流动党员党支部")
    client.force_login(world.users["secretary1"])
    picker = client.get(reverse("development:mobile_create"), {"q": "张一"})
    assert picker.status_code == 200 and world.people["a1_other"].name in picker.content.decode()
    person = world.people["a1_other"]
    form = client.get(reverse("development:mobile_create"), {"person": person.pk})
    assert branch.name in form.content.decode()
    response = client.post(
        reverse("development:mobile_create"),
        {
            "person": person.pk,
            "started_on": "2026-02-01",
            "destination": "上海市浦东新区",
            "reason": "internship",
            "contact_phone": "13800001111",
            "mobile_branch": branch.pk,
        },
    )
    record = MobileRecord.objects.get(person=person)
    assert response.status_code == 302 and response.url == reverse("development:mobile_detail", args=[record.pk])
    again = client.post(
        reverse("development:mobile_create"),
        {
            "person": person.pk,
            "started_on": "2026-02-01",
            "destination": "上海",
            "reason": "internship",
            "contact_phone": "13800001111",
        },
    )
    assert again.status_code == 409
    assert "已登记为流动党员" in again.content.decode()
    bad = client.post(
        reverse("development:mobile_create"),
        {
            "person": world.people["member1"].pk,
            "started_on": "2026-02-01",
            "destination": "x",
            "reason": "work",
            "contact_phone": "12",
        },
    )
    assert bad.status_code == 422 and "7 至 15 位数字" in bad.content.decode()


def test_create_page_sibling_person_404(world, client):
    client.force_login(world.users["secretary2"])
    assert client.get(reverse("development:mobile_create"), {"person": world.people["member1"].pk}).status_code == 404


def test_branch_search_fragment(world, client):
    make_unit(parent=world.root, kind=UnitKind.MOBILE_BRANCH, name="深圳流动党员党支部")
    make_unit(parent=world.root, kind=UnitKind.MOBILE_BRANCH, name="北京流动党员党支部")
    client.force_login(world.users["secretary1"])
    html = client.get(reverse("development:mobile_branch_options"), {"branch_q": "深圳"}).content.decode()
    assert "深圳" in html and "北京" not in html


def test_list_masks_phones(world, client, record):
    client.force_login(world.users["secretary1"])
    html = client.get(reverse("development:mobile")).content.decode()
    assert "139****5678" in html and "13912345678" not in html


def test_list_filters(world, client, record):
    register(world, person=world.people["a1_other"], reason="study")
    client.force_login(world.users["secretary1"])
    html = client.get(reverse("development:mobile"), {"reason": "study"}).content.decode()
    assert world.people["a1_other"].name in html
    assert f'href="{reverse("development:mobile_detail", args=[record.pk])}"' not in html.split("<table")[-1]


def test_my_mobile_member_records_and_reports(world, client, record):
    client.force_login(world.users["member1"])
    page = client.get(reverse("development:my_mobile"))
    assert page.status_code == 200 and "广东省深圳市" in page.content.decode()
    r = client.post(
        reverse("development:mobile_activity_add", args=[record.pk]),
        {"next": "mine", "kind": "org_life", "occurred_on": "2026-04-01", "title": "线上主题党日", "link": "会议号 1"},
    )
    assert r.status_code == 302 and r.url == reverse("development:my_mobile")
    activity = record.activities.get()
    assert activity.confirmed_by is None
    r = client.post(
        reverse("development:mobile_report_submit", args=[record.pk]),
        {"next": "mine", "year": 2026, "content": "<b>报告</b>"},
    )
    assert r.status_code == 302
    html = client.get(reverse("development:my_mobile")).content.decode()
    assert "&lt;b&gt;报告&lt;/b&gt;" in html and "<b>报告</b>" not in html
    bad = client.post(
        reverse("development:mobile_activity_add", args=[record.pk]),
        {"next": "mine", "kind": "study", "occurred_on": "2026-01-01", "title": "早于外出"},
    )
    assert bad.status_code == 422 and "不能早于外出日期" in bad.content.decode()


def test_secretary_confirms_member_activity(world, client, record):
    activity = mobile.mobile_activity_add(
        actor=world.users["member1"], record_id=record.pk, kind="study", occurred_on=D(2026, 4, 1), title="学习"
    )
    client.force_login(world.users["member1"])
    assert client.post(reverse("development:mobile_activity_confirm", args=[activity.pk])).status_code == 403
    client.force_login(world.users["secretary1"])
    assert client.post(reverse("development:mobile_activity_confirm", args=[activity.pk])).status_code == 302
    activity.refresh_from_db()
    assert activity.confirmed_by == world.users["secretary1"]


def test_lost_pages_flow(world, client):
    client.force_login(world.users["secretary1"])
    person = world.people["a1_other"]
    r = client.post(reverse("development:lost_create"), {"person": person.pk, "lost_since": "2025-01-31"})
    lost = LostContact.objects.get(person=person)
    assert r.status_code == 302
    early = client.post(reverse("development:lost_suspend", args=[lost.pk]), {"suspended_on": "2025-07-30"})
    assert early.status_code == 422 and "第二十四条" in early.content.decode()
    ok = client.post(reverse("development:lost_suspend", args=[lost.pk]), {"suspended_on": "2025-07-31"})
    assert ok.status_code == 302
    r = client.post(
        reverse("development:lost_attempt", args=[lost.pk]),
        {"attempted_on": "2025-09-01", "method": "visit", "note": "未见到本人"},
    )
    assert r.status_code == 302
    html = client.get(reverse("development:lost_detail", args=[lost.pk])).content.decode()
    assert "未见到本人" in html and "2027-07-31" in html
    listing = client.get(reverse("development:lost_contacts")).content.decode()
    assert person.name in listing


# --- query counts ---------------------------------------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_mobile_list_query_count_constant(world, client):
    client.force_login(world.users["secretary1"])
    branch = make_unit(parent=world.root, kind=UnitKind.MOBILE_BRANCH)
    register(world, mobile_branch_id=branch.pk)
    url = reverse("development:mobile")
    small = _count(client, url)
    for _ in range(6):
        register(world, person=PersonFactory(unit=world.branch_a1), mobile_branch_id=branch.pk)
    assert _count(client, url) == small


def test_lost_list_query_count_constant(world, client):
    client.force_login(world.users["secretary1"])
    mobile.lost_open(actor=world.users["secretary1"], person_id=world.people["a1_other"].pk, lost_since=D(2025, 1, 1))
    url = reverse("development:lost_contacts")
    small = _count(client, url)
    for _ in range(6):
        p = PersonFactory(unit=world.branch_a1)
        mobile.lost_open(actor=world.users["secretary1"], person_id=p.pk, lost_since=D(2025, 1, 1))
    assert _count(client, url) == small


# --- API ------------------------------------------------------------------------------------


def test_api_mobile(world, client, record):
    client.force_login(world.users["secretary1"])
    r = client.get("/api/development/mobile")
    assert r.status_code == 200
    item = r.json()["items"][0]
    assert item["contact_phone_masked"] == "139****5678" and "contact_phone" not in item
    assert client.get(f"/api/development/mobile/{record.pk}").json()["contact_phone"] == "13912345678"
    payload = {
        "person_id": world.people["member1"].pk,
        "started_on": "2026-05-01",
        "destination": "x",
        "reason": "work",
        "contact_phone": "13900000000",
    }
    r = client.post("/api/development/mobile", payload, content_type="application/json")
    assert r.status_code == 409 and r.json()["detail"]
    r = client.post(
        f"/api/development/mobile/{record.pk}/activities",
        {"kind": "volunteer", "occurred_on": "2026-04-01", "title": "社区志愿服务"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["confirmed"] is True
    assert client.get(f"/api/development/mobile/{record.pk}/activities").json()["count"] == 1
    r = client.post(
        f"/api/development/mobile/{record.pk}/return", {"returned_on": "2026-06-01"}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "returned"


def test_api_mobile_sibling_and_member(world, client, record):
    client.force_login(world.users["secretary2"])
    assert client.get(f"/api/development/mobile/{record.pk}").status_code == 404
    assert client.get("/api/development/mobile").json()["count"] == 0
    client.force_login(world.users["member1"])
    assert client.get("/api/development/mobile").status_code == 403
    mine = client.get("/api/development/mobile/mine").json()
    assert [m["id"] for m in mine] == [record.pk]
    r = client.post(
        f"/api/development/mobile/{record.pk}/reports",
        {"year": 2026, "content": "年度报告"},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = client.post(
        f"/api/development/mobile/{record.pk}/return", {"returned_on": "2026-06-01"}, content_type="application/json"
    )
    assert r.status_code == 403


def _fifteenth(day: datetime.date, months: int) -> datetime.date:
    """The 15th of the month ``months`` after ``day``'s month (no month-end clamping)."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 15)


def test_api_lost(world, client):
    # Dates relative to today: removal falls due on a 15th still ahead, suspension 24 months
    # earlier, contact lost 6 months before that.
    today = timezone.localdate()
    removal_due = _fifteenth(today, 0 if today.day < 15 else 1)
    suspended_on, lost_since = _fifteenth(removal_due, -24), _fifteenth(removal_due, -30)
    client.force_login(world.users["secretary1"])
    r = client.post(
        "/api/development/lost",
        {"person_id": world.people["a1_other"].pk, "lost_since": lost_since.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 201
    lost_id = r.json()["id"]
    assert r.json()["suspension_due_on"] == suspended_on.isoformat()
    day_before = (suspended_on - datetime.timedelta(days=1)).isoformat()
    r = client.post(
        f"/api/development/lost/{lost_id}/suspend", {"suspended_on": day_before}, content_type="application/json"
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/development/lost/{lost_id}/suspend",
        {"suspended_on": suspended_on.isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["removal_due_on"] == removal_due.isoformat()
    assert client.get("/api/development/lost", {"due": "true"}).json()["count"] == 0
    r = client.post(
        f"/api/development/lost/{lost_id}/remove", {"removed_on": today.isoformat()}, content_type="application/json"
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/development/lost/{lost_id}/attempts",
        {
            "attempted_on": (suspended_on + datetime.timedelta(days=36)).isoformat(),
            "method": "phone",
            "succeeded": True,
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    restored_on = (suspended_on + datetime.timedelta(days=37)).isoformat()
    r = client.post(
        f"/api/development/lost/{lost_id}/restore", {"restored_on": restored_on}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["status"] == "restored"
    client.force_login(world.users["secretary2"])
    assert client.get(f"/api/development/lost/{lost_id}").status_code == 404
    assert client.get(f"/api/development/lost/{lost_id}/attempts").status_code == 404
