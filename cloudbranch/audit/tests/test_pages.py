import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cloudbranch.audit.models import AuditEvent
from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.nav import menu_for

OTHERS = ["admin", "secretary1", "secretary2", "member1", "sysadmin", "secadmin"]


@pytest.fixture
def events(world):
    u = world.users
    audit_record(
        actor=u["admin"],
        action="orgs.unit.update",
        target=world.branch_a1,
        changes={"name": {"old": "甲", "new": "乙"}},
    )
    audit_record(
        actor=u["secretary1"],
        action="people.person.update",
        target=world.people["a1_other"],
        changes={"id_number": {"changed": True}, "name": {"old": "张", "new": "张一"}},
    )
    old = audit_event(u["secretary1"], action="people.person.create", target=world.people["a1_other"])
    old.occurred_at = timezone.now() - datetime.timedelta(days=40)
    old.save(force_insert=True)
    return world


@pytest.mark.parametrize("name", ["audit:list", "audit:export"])
@pytest.mark.parametrize("username", OTHERS)
def test_only_auditor_sees_the_log(events, login, username, name):
    assert login(events.users[username]).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("username", OTHERS)
def test_others_cannot_open_an_event(events, login, username):
    pk = AuditEvent.objects.first().pk
    assert login(events.users[username]).get(reverse("audit:detail", args=[pk])).status_code == 403


def test_auditor_list_newest_first_and_reading_is_audited(events, login):
    resp = login(events.users["auditor"]).get(reverse("audit:list"))
    assert resp.status_code == 200
    assert [e.action for e in resp.context["events"]] == [
        "people.person.update",
        "orgs.unit.update",
        "people.person.create",
    ]
    view = AuditEvent.objects.get(action="audit.log.view")
    assert view.actor == events.users["auditor"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "secretary1"}, {"people.person.update", "people.person.create"}),
        ({"action": "people."}, {"people.person.update", "people.person.create"}),
        ({"action": "orgs"}, {"orgs.unit.update"}),
        ({"target_type": "people.person"}, {"people.person.update", "people.person.create"}),
        ({"since": "__recent__"}, {"people.person.update", "orgs.unit.update"}),
        ({"until": "__old__"}, {"people.person.create"}),
        ({"action": "people.", "since": "__recent__"}, {"people.person.update"}),
    ],
)
def test_filters(events, login, query, expected):
    today = timezone.localdate()
    query = dict(query)
    for k, v in query.items():
        query[k] = {
            "__recent__": (today - datetime.timedelta(days=1)).isoformat(),
            "__old__": (today - datetime.timedelta(days=30)).isoformat(),
        }.get(v, v)
    resp = login(events.users["auditor"]).get(reverse("audit:list"), query)
    assert {e.action for e in resp.context["events"]} == expected


def test_filter_by_target_id(events, login):
    pk = str(events.branch_a1.pk)
    resp = login(events.users["auditor"]).get(reverse("audit:list"), {"target_type": "orgs.orgunit", "target_id": pk})
    assert [e.action for e in resp.context["events"]] == ["orgs.unit.update"]


def test_bad_dates_are_ignored(events, login):
    resp = login(events.users["auditor"]).get(reverse("audit:list"), {"since": "not-a-date"})
    assert resp.status_code == 200 and len(resp.context["events"]) == 3


def test_pagination_50(events, login):
    audit_bulk([audit_event(None, action=f"test.bulk.{i}") for i in range(60)])
    client = login(events.users["auditor"])
    resp = client.get(reverse("audit:list"))
    assert len(resp.context["events"]) == 50 and resp.context["page"].paginator.num_pages == 2
    resp = client.get(reverse("audit:list"), {"action": "test.", "page": 2})
    assert len(resp.context["events"]) == 10
    assert "action=test." in resp.content.decode()


@pytest.mark.parametrize("n", [5, 120])
def test_list_query_count_constant(world, login, n):
    audit_bulk([audit_event(world.users["admin"], action="orgs.unit.update", target=world.root) for _ in range(n)])
    client = login(world.users["auditor"])
    client.get(reverse("audit:list"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("audit:list"), {"action": "orgs"}).status_code == 200
    # session, user, count, page, the audit row of this read (head lock, insert, head update);
    # the menu: grants, own record
    assert len(ctx.captured_queries) == 9, "\n".join(q["sql"][:120] for q in ctx.captured_queries)


def test_htmx_returns_table_only(events, login):
    resp = login(events.users["auditor"]).get(reverse("audit:list"), HTTP_HX_REQUEST="true")
    assert b'id="cb-audit-table"' in resp.content and b"navbar" not in resp.content


def test_detail_shows_changes_masked(events, login):
    event = AuditEvent.objects.get(action="people.person.update")
    resp = login(events.users["auditor"]).get(reverse("audit:detail", args=[event.pk]))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "张一" in body and "敏感字段" in body
    assert AuditEvent.objects.filter(action="audit.log.view", target_id=str(event.pk)).exists()
    assert login(events.users["auditor"]).get(reverse("audit:detail", args=[999999])).status_code == 404


def test_export_filtered_and_audited(events, login):
    resp = login(events.users["auditor"]).get(reverse("audit:export"), {"action": "people."})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "时间", "操作人", "操作")
    assert {r[3] for r in rows[1:]} == {"people.person.update", "people.person.create"}
    export = AuditEvent.objects.get(action="audit.log.export")
    assert export.actor == events.users["auditor"]
    assert export.changes == {"filters": {"action": "people."}, "rows": 2}


def test_menu_entry_only_for_auditor(world):
    assert "audit" in [e["key"] for e in menu_for(world.users["auditor"])]
    for name in OTHERS:
        assert "audit" not in [e["key"] for e in menu_for(world.users[name])]
