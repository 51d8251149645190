"""The daily reminders command and task (calls every area's ``send_reminders``), and the
weekly overdue summary of the pipeline area."""

import datetime
import logging
import sys
import types

import pytest
from django.core.management import CommandError, call_command

from cloudbranch.development import pipeline
from cloudbranch.development.models import Reminder
from cloudbranch.development.tasks import AREAS, run_reminders, send_development_reminders
from cloudbranch.development.tests.factories import make_case
from cloudbranch.notifications.models import Notification
from cloudbranch.notifications.services import notify

TODAY = datetime.date(2026, 11, 26)
FAKED = ("cases", "transfers", "mobile", "thought")


def _fake_area(name: str, user, calls: list):
    """A module whose send_reminders notifies ``user`` once per day (idempotent through Reminder)."""

    def send_reminders(today):
        calls.append((name, today))
        key = f"test:{name}:{today.isoformat()}"
        if Reminder.objects.filter(key=key).exists():
            return 0
        Reminder.objects.create(key=key)
        notify(recipients=[user], category="development", title=f"{name} 提醒")
        return 1

    module = types.ModuleType(f"cloudbranch.development.{name}")
    module.send_reminders = send_reminders
    return module


@pytest.fixture
def fakes(world, monkeypatch):
    calls: list = []
    for name in FAKED:
        monkeypatch.setitem(
            sys.modules, f"cloudbranch.development.{name}", _fake_area(name, world.users["secretary1"], calls)
        )
    return calls


def test_command_runs_every_area_once_per_day(world, fakes, capsys):
    call_command("development_reminders", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert [c[0] for c in fakes] == list(FAKED)
    assert all(c[1] == TODAY for c in fakes)
    assert "发展党员步骤提醒与逾期预警：发送 1 条。" in out
    assert "思想汇报提醒：发送 1 条。" in out
    assert "合计发送 4 条。" in out
    assert Notification.objects.filter(recipient=world.users["secretary1"]).count() == 4

    call_command("development_reminders", "--date", TODAY.isoformat())  # same day again: nothing new
    out = capsys.readouterr().out
    assert "合计发送 0 条。" in out
    assert Notification.objects.filter(recipient=world.users["secretary1"]).count() == 4
    assert len(fakes) == 8


def test_missing_area_is_skipped_with_a_warning(world, fakes, monkeypatch, capsys, caplog):
    monkeypatch.setitem(
        sys.modules, "cloudbranch.development.mobile", types.ModuleType("cloudbranch.development.mobile")
    )
    with caplog.at_level(logging.WARNING, logger="cloudbranch.development.tasks"):
        call_command("development_reminders", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "流动党员提醒：未安装，已跳过。" in out
    assert "合计发送 3 条。" in out
    assert any("mobile.send_reminders is not installed" in r.getMessage() for r in caplog.records)


def test_one_failing_area_does_not_stop_the_others(world, fakes, monkeypatch):
    def boom(today):
        raise RuntimeError("broken")

    monkeypatch.setattr(sys.modules["cloudbranch.development.cases"], "send_reminders", boom)
    with pytest.raises(RuntimeError):
        run_reminders(TODAY)
    assert [c[0] for c in fakes] == ["transfers", "mobile", "thought"]


def test_bad_date_is_refused(db):
    with pytest.raises(CommandError):
        call_command("development_reminders", "--date", "26/11/2026")


def test_task_enqueue_runs_the_areas(world, fakes):
    result = send_development_reminders.enqueue(TODAY.isoformat())
    assert result.return_value["cases"] == 1
    assert set(result.return_value) == {name for name, _ in AREAS}
    assert send_development_reminders.enqueue(TODAY.isoformat()).return_value["cases"] == 0


def test_weekly_overdue_summary_to_the_organization_department(world):
    admin = world.users["admin"]  # org_admin at the root committee
    case = make_case(actor=admin, unit=world.branch_a1, applied_on=datetime.date(2025, 1, 6), upto="sponsors")
    assert case.next_due_on < TODAY
    monday = TODAY - datetime.timedelta(days=TODAY.weekday())

    assert pipeline.send_reminders(TODAY) == 1
    notes = Notification.objects.filter(recipient=admin, category="development")
    assert notes.count() == 1
    note = notes.get()
    assert "1 名发展对象的步骤已逾期" in note.title and f"unit={world.root.pk}" in note.url
    assert not Notification.objects.filter(recipient=world.users["secretary1"]).exists()

    assert pipeline.send_reminders(TODAY) == 0  # same day
    assert pipeline.send_reminders(monday + datetime.timedelta(days=6)) == 0  # same ISO week
    assert pipeline.send_reminders(monday + datetime.timedelta(days=7)) == 1  # next week
    assert Notification.objects.filter(recipient=admin).count() == 2


def test_no_summary_without_overdue_cases(world):
    make_case(actor=world.users["admin"], unit=world.branch_a1, applied_on=TODAY - datetime.timedelta(days=3))
    assert pipeline.send_reminders(TODAY) == 0
    assert not Reminder.objects.exists()
