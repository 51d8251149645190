"""The warnings engine: refresh opens, keeps, updates and clears warnings (never deletes), notifies
the owners of new ones once (one summary per user), and finds owners at the nearest level."""

import contextlib
import datetime

import pytest
from django.core.management import call_command

from cloudbranch.cockpit import warnings as engine
from cloudbranch.cockpit.models import Warning
from cloudbranch.cockpit.tasks_warnings import refresh_warnings_task
from cloudbranch.core import alerts as catalogue
from cloudbranch.core.alerts import DANGER, WARNING, AlertRule, Finding
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.people import alerts as people_alerts
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

D = datetime.date
TODAY = D(2026, 5, 15)
pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def only_rules(*rules: AlertRule):
    saved = catalogue._rules.copy()
    catalogue._rules.clear()
    try:
        for r in rules:
            catalogue.register(r)
        yield
    finally:
        catalogue._rules.clear()
        catalogue._rules.update(saved)


class Fake:
    """A rule whose findings the test sets by hand."""

    def __init__(self, key="test.fake", perm="people.change_person", area="structure"):
        self.findings: list[Finding] = []
        self.rule = AlertRule(key=key, label="测试规则", area=area, owner_perm=perm, find=lambda today: self.findings)


def notes(user):
    return list(Notification.objects.filter(recipient=user, category="warning"))


def test_branch_size_warning_appears_and_clears(world):
    rule = catalogue.rules()["structure.branch_size"]
    with only_rules(rule):
        engine.refresh_warnings(TODAY)
        w = Warning.objects.get(rule="structure.branch_size", subject=f"unit:{world.branch_a1.pk}:too_few")
        assert w.cleared_at is None and w.severity == DANGER and w.unit_id == world.branch_a1.pk
        # secretary1 (a1) is told; the group has its own warning? no: groups are not branches
        assert len(notes(world.users["secretary1"])) == 1
        PersonFactory(unit=world.branch_a1)
        result = engine.refresh_warnings(TODAY)
        w.refresh_from_db()
        assert w.cleared_at is not None  # cleared, not deleted
        assert result.cleared >= 1
        assert Warning.objects.filter(pk=w.pk).exists()


def test_refresh_opens_keeps_updates_clears_and_notifies_once(world):
    fake = Fake()
    a1, a2 = world.branch_a1, world.branch_a2
    fake.findings = [
        Finding(a1.pk, "x:1", "一支部问题", "/fix/1/", WARNING),
        Finding(a2.pk, "x:2", "二支部问题", "/fix/2/", WARNING),
    ]
    with only_rules(fake.rule):
        r1 = engine.refresh_warnings(TODAY)
        assert (r1.opened, r1.updated, r1.cleared) == (2, 0, 0)
        assert r1.notified_users == 2 and r1.notified_warnings == 2
        first = {w.subject: w for w in Warning.objects.all()}
        assert all(w.notified_at is not None for w in first.values())
        s1 = notes(world.users["secretary1"])
        assert len(s1) == 1 and s1[0].title.startswith("预警（测试规则）") and s1[0].url == "/fix/1/"
        assert len(notes(world.users["secretary2"])) == 1

        # second refresh, same findings: nothing new, nothing sent
        r2 = engine.refresh_warnings(TODAY)
        assert (r2.opened, r2.updated, r2.cleared, r2.notified_users) == (0, 0, 0, 0)
        assert Notification.objects.filter(category="warning").count() == 2

        # x:2 worsens (updated in place, not re-notified), x:1 fixed (cleared), x:3 new
        fake.findings = [
            Finding(a2.pk, "x:2", "二支部问题加重", "/fix/2/", DANGER),
            Finding(a2.pk, "x:3", "二支部新问题", "/fix/3/", WARNING),
        ]
        r3 = engine.refresh_warnings(TODAY)
        assert (r3.opened, r3.updated, r3.cleared) == (1, 1, 1)
        w2 = Warning.objects.get(pk=first["x:2"].pk)
        assert w2.cleared_at is None and w2.severity == DANGER and w2.message == "二支部问题加重"
        assert Warning.objects.get(pk=first["x:1"].pk).cleared_at is not None
        assert len(notes(world.users["secretary2"])) == 2
        assert len(notes(world.users["secretary1"])) == 1

        # the cause comes back: a NEW warning (the old row stays cleared)
        fake.findings.append(Finding(a1.pk, "x:1", "一支部问题", "/fix/1/", WARNING))
        engine.refresh_warnings(TODAY)
        assert Warning.objects.filter(subject="x:1").count() == 2
        assert Warning.objects.filter(subject="x:1", cleared_at__isnull=True).count() == 1


def test_one_summary_per_user_and_nearest_owner(world):
    fake = Fake()
    college_sec = UserFactory()
    grant(college_sec, world.college_b, Role.COMMITTEE_SECRETARY)
    a1 = world.branch_a1
    fake.findings = [Finding(a1.pk, f"many:{i}", f"问题 {i}", "", DANGER if i == 0 else WARNING) for i in range(12)]
    # a group: no officer there → its branch's secretary; branch_b1 has no secretary → the college's
    fake.findings.append(Finding(world.group_a1.pk, "group:1", "党小组问题", "", WARNING))
    fake.findings.append(Finding(world.branch_b1.pk, "b1:1", "数学支部问题", "", WARNING))
    with only_rules(fake.rule):
        result = engine.refresh_warnings(TODAY)
    s1 = notes(world.users["secretary1"])
    assert len(s1) == 1
    assert s1[0].title == "新增预警 13 项，其中严重 1 项"
    assert s1[0].body.splitlines()[0].startswith("【严重】问题 0")
    assert "另有 3 项" in s1[0].body and s1[0].url == "/cockpit/warnings/"
    assert len(notes(college_sec)) == 1 and "数学支部问题" in notes(college_sec)[0].title
    assert not notes(world.users["admin"])  # the root's admin is not the nearest holder
    assert result.notified_users == 2 and result.notified_warnings == 14


def test_warning_without_owner_waits_for_one(world):
    fake = Fake(perm="people.change_person")
    fake.findings = [Finding(world.branch_b1.pk, "b1:1", "无人负责", "", WARNING)]
    rule = fake.rule
    with only_rules(rule):
        # nobody at b1 nor college_b holds the permission below the root's org admin: the admin is told
        engine.refresh_warnings(TODAY)
        assert len(notes(world.users["admin"])) == 1
    w = Warning.objects.get(subject="b1:1")
    assert w.notified_at is not None


def test_failing_rule_leaves_its_warnings_and_others_run(world):
    ok, bad = Fake("test.ok"), Fake("test.bad")
    ok.findings = [Finding(world.branch_a1.pk, "ok:1", "正常", "", WARNING)]
    bad.findings = [Finding(world.branch_a1.pk, "bad:1", "坏", "", WARNING)]
    with only_rules(ok.rule, bad.rule):
        engine.refresh_warnings(TODAY)

    def boom(today):
        raise RuntimeError("数据库不可用")

    broken = AlertRule(key="test.bad", label="坏规则", area="structure", owner_perm="people.change_person", find=boom)
    ok.findings = []
    with only_rules(ok.rule, broken):
        result = engine.refresh_warnings(TODAY)
    assert result.errors and "数据库不可用" in result.errors[0]
    assert Warning.objects.get(subject="bad:1").cleared_at is None
    assert Warning.objects.get(subject="ok:1").cleared_at is not None


def test_rule_removed_from_catalogue_clears_its_warnings(world):
    fake = Fake("test.gone")
    fake.findings = [Finding(world.branch_a1.pk, "g:1", "将下线", "", WARNING)]
    with only_rules(fake.rule):
        engine.refresh_warnings(TODAY)
    with only_rules(Fake("test.other").rule):
        result = engine.refresh_warnings(TODAY)
    assert result.cleared == 1
    assert Warning.objects.get(subject="g:1").cleared_at is not None


def test_refresh_queries_constant_per_rule(world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fake = Fake()
    with only_rules(fake.rule):
        fake.findings = [Finding(world.branch_a1.pk, f"q:{i}", "问题", "", WARNING) for i in range(3)]
        with CaptureQueriesContext(connection) as small:
            engine.refresh_warnings(TODAY, notify_owners=False)
        fake.findings = [Finding(world.branch_a1.pk, f"r:{i}", "问题", "", WARNING) for i in range(60)]
        with CaptureQueriesContext(connection) as large:
            engine.refresh_warnings(TODAY, notify_owners=False)
    # read open rows, insert, clear (one UPDATE), the retired-rules UPDATE (+ savepoints)
    assert len(small.captured_queries) <= len(large.captured_queries) + 1
    assert len(large.captured_queries) <= 8


def test_notify_queries_constant(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (2, 20):
        fake = Fake(f"test.n{n}")
        fake.findings = [Finding(world.branch_a1.pk, f"n{n}:{i}", "问题", "", WARNING) for i in range(n)]
        with only_rules(fake.rule):
            engine.refresh_warnings(TODAY, notify_owners=False)
            with CaptureQueriesContext(connection) as ctx:
                users, items = engine.notify_pending()
        assert (users, items) == (1, n)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_command_and_task(world):
    with only_rules(catalogue.rules()["structure.branch_size"]):
        call_command("warnings_refresh", "--date", "2026-05-15", "--no-notify")
        assert Warning.objects.filter(rule="structure.branch_size", cleared_at__isnull=True).exists()
        assert not Notification.objects.filter(category="warning").exists()
        result = refresh_warnings_task.enqueue("2026-05-15")
        assert result.return_value["notified_users"] >= 1


def test_real_rules_all_run(world):
    result = engine.refresh_warnings(TODAY)
    assert not result.errors
    assert {r.key for r in result.rules} >= set(catalogue.rules())
    assert Warning.objects.filter(rule="structure.branch_size", subject=f"unit:{world.branch_a1.pk}:too_few").exists()
    assert people_alerts  # the people rules are discovered through CockpitConfig.ready
