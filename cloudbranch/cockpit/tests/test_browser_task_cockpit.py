"""Browser journey of issue 10 ("Done means"): the organization department issues a task, a branch
completes it, the cockpit shows the completion and a warning clears.

World: root 某大学党委 (admin = org admin), college_a with branch_a1 (secretary1) and branch_a2,
college_b with branch_b1.

1. A task of the root issued to branch_a1 is already overdue (created through the services, its
   deadline then moved into the past). The warnings are refreshed (the admin's 立即刷新 button) and
   the metrics recomputed (POST /api/cockpit/metrics/recompute from the admin's page: the test
   settings run the queued task at once); secretary1, on a 375px phone, sees the 工作任务逾期
   warning; the root cockpit shows 任务按时完成率 0 % (1 received, none on time).
2. The admin (desktop) issues a new task through the form to every branch (全部党支部: a1, a2, b1),
   deadline later today (the stored figures of the current month count deadlines up to today).
3. secretary1 (phone) opens the board, the new task's card, assigns 党员一 as responsible person,
   reports 60 % progress and submits the completion with a small PDF; then follows the warning's
   去处理 link to the overdue target and submits it too (on the board it becomes 逾期报送).
4. The admin accepts both from the task pages (the overdue one is marked 逾期完成).
5. Recompute + refresh again. The metrics (worktasks/metrics.py, by the deadline's period, in the
   receiving unit, rolled up) for the current month:
   - root:      received 1 + 3 = 4, completed on time 1 (the new task at a1) → 25 %;
   - college_a: received 3 (a1 ×2, a2), on time 1 → 33.3 %;
   - branch_a1: received 2, on time 1 (the overdue one was accepted but late) → 50 %.
   secretary1's open warnings no longer list the overdue task; the 已解除 tab does.

Every wait is Playwright's ``expect`` auto-waiting (no sleeps); screenshots go to
/tmp/cloudbranch-screenshots/task-cockpit-*.png.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from cloudbranch.cockpit.models import Warning
from cloudbranch.testing.browser import login_via_form, screenshot
from cloudbranch.worktasks import tasks
from cloudbranch.worktasks.choices import TargetStatus
from cloudbranch.worktasks.models import AssignedTask, TaskTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
OVERDUE_TITLE = "报送上半年党建工作总结"
NEW_TITLE = "开展“学党章、守党纪”主题党日活动"
EVIDENCE = "活动照片及会议记录"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RULE = "tasks.targets_overdue"
RATE = '[data-key="tasks.on_time_rate"] .cb-figure-value'


def _expect():
    from playwright.sync_api import expect

    return expect


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, f"task-cockpit-{name}")


def _percent(value: str):
    """The headline figure's text: the number then the unit (e.g. "33.3%")."""
    return re.compile(rf"^\s*{re.escape(value)}\s*%\s*$")


def _recompute_and_refresh(page, base: str) -> None:
    """What cron / the worker would do, through the admin's own browser: the metrics API's full
    recompute (enqueued; the immediate backend runs it before the response) and the warnings page's
    立即刷新 button."""
    expect = _expect()
    page.goto(f"{base}/cockpit/warnings/")
    status = page.evaluate(
        """async () => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const r = await fetch('/api/cockpit/metrics/recompute', {method: 'POST', headers: {'X-CSRFToken': token}});
            return r.status;
        }"""
    )
    assert status == 202, f"metrics recompute answered {status}"
    page.get_by_role("button", name="立即刷新").click()
    expect(page.locator(".alert-success")).to_contain_text("预警已刷新")


def _submit_completion(page, text: str, file_name: str) -> None:
    form = page.locator("#submit-form")
    form.locator("textarea[name=text]").fill(text)
    form.locator("#submit-files").set_input_files([{"name": file_name, "mimeType": "application/pdf", "buffer": PDF}])
    form.get_by_role("button", name="报送").click()


def _accept(page, unit_name: str) -> None:
    expect = _expect()
    row = page.locator("#targets tbody tr", has_text=unit_name)
    row.get_by_role("button", name="通过").click()
    expect(page.locator(".alert-success")).to_contain_text("已审核通过")
    expect(row.locator("td").nth(1)).to_contain_text("已完成")


def test_task_issued_completed_cockpit_shows_it_and_warning_clears(world, live_server, page, phone_page):
    expect = _expect()
    base = live_server.url
    now = timezone.localtime()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    new_deadline = now.replace(hour=23, minute=59, second=0, microsecond=0)
    if not (day_start + datetime.timedelta(minutes=2) <= now <= new_deadline - datetime.timedelta(minutes=4)):
        pytest.skip("runs within minutes of local midnight: both deadlines must fall on today (Asia/Shanghai)")
    admin = world.users["admin"]
    a1, a2, b1 = world.branch_a1, world.branch_a2, world.branch_b1

    # (1) An overdue task of the root at branch_a1: issued through the services, deadline moved back.
    overdue = tasks.task_create(
        actor=admin,
        issuer_id=world.root.pk,
        title=OVERDUE_TITLE,
        requirements="各支部报送上半年党建工作总结。",
        evidence_expected="工作总结",
        deadline=timezone.now() + datetime.timedelta(hours=1),
        issue=True,
        target_unit_ids=[a1.pk],
    )
    AssignedTask.objects.filter(pk=overdue.pk).update(deadline=max(now - datetime.timedelta(hours=1), day_start))
    overdue_target = TaskTarget.objects.get(task=overdue)

    errors: list[str] = []
    for p in (page, phone_page):
        p.on("pageerror", lambda exc: errors.append(str(exc)))
    login_via_form(page, base, "admin", PASSWORD)
    login_via_form(phone_page, base, "secretary1", PASSWORD)
    _recompute_and_refresh(page, base)
    assert Warning.objects.filter(rule=RULE, subject=f"target:{overdue_target.pk}", cleared_at__isnull=True).exists()

    phone_page.goto(f"{base}/cockpit/warnings/")
    warning = phone_page.locator(".list-group-item", has_text=OVERDUE_TITLE)
    expect(warning).to_contain_text("工作任务逾期")
    expect(warning).to_contain_text("尚未报送完成")
    expect(warning.get_by_role("link", name="去处理")).to_be_visible()
    _fits_phone(phone_page)
    _shot(phone_page, "1-warning-open-phone")

    page.goto(f"{base}/cockpit/?unit={world.root.pk}")
    expect(page.locator(RATE)).to_have_text(_percent("0"))

    # (2) The admin issues a new task to every branch through the form.
    page.goto(f"{base}/tasks/issued/")
    page.get_by_role("link", name="下发任务").first.click()
    expect(page.locator("h1")).to_have_text("下发任务")
    expect(page.locator("#id_issuer")).to_have_value(str(world.root.pk))
    page.fill("#id_title", NEW_TITLE)
    page.fill("#id_requirements", "各党支部组织党员集中学习党章党纪，并报送活动材料。")
    page.fill("#id_evidence_expected", EVIDENCE)
    page.fill("#id_deadline", f"{new_deadline:%Y-%m-%dT%H:%M}")
    page.get_by_label("全部党支部").check()
    _shot(page, "2-issue-form")
    page.get_by_role("button", name="保存并下发").click()
    expect(page.locator(".alert-success")).to_contain_text(f"任务“{NEW_TITLE}”已下发")
    expect(page.locator("#task-status")).to_have_text("已下发")
    expect(page.locator("#targets tbody tr")).to_have_count(3)
    for unit in (a1, a2, b1):
        expect(page.locator("#targets tbody")).to_contain_text(unit.name)
    new_task = AssignedTask.objects.get(title=NEW_TITLE)
    new_task_url = page.url
    assert new_task.deadline == new_deadline
    new_target = new_task.targets.get(unit=a1)

    # (3) secretary1 on a phone: the board, the new task's target, assign, report, submit.
    phone_page.goto(f"{base}/tasks/")
    column = phone_page.locator('[data-column="issued"]')
    expect(column.locator("a", has_text=NEW_TITLE)).to_be_visible()
    expect(column.locator("a", has_text=OVERDUE_TITLE)).to_contain_text("已逾期")
    _fits_phone(phone_page)
    _shot(phone_page, "3-board-phone")
    column.locator("a", has_text=NEW_TITLE).click()
    expect(phone_page.locator("h1")).to_have_text(NEW_TITLE)
    expect(phone_page.locator("#target-status")).to_have_text("已接收")

    phone_page.select_option("#assign-form select[name=person]", label=f"党员一（{a1.name}）")
    phone_page.locator("#assign-form").get_by_role("button", name="保存").click()
    expect(phone_page.locator(".alert-success")).to_contain_text("已指定责任人")
    expect(phone_page.locator("#target-status")).to_have_text("办理中")
    expect(phone_page.get_by_text("责任人：党员一")).to_be_visible()

    report = phone_page.locator("#report-form")
    report.locator("input[name=progress]").fill("60")
    report.locator("textarea[name=text]").fill("已召开支委会部署，正在组织集中学习。")
    report.get_by_role("button", name="提交进展").click()
    expect(phone_page.locator(".alert-success")).to_contain_text("已报告进展")
    expect(phone_page.locator("#history")).to_contain_text("进展 · 60%")

    _submit_completion(phone_page, "主题党日活动已于今日开展，全体党员参加。", "主题党日活动记录.pdf")
    expect(phone_page.locator(".alert-success")).to_contain_text("已报送完成情况")
    expect(phone_page.locator("#target-status")).to_have_text("待审核")
    expect(phone_page.locator("#history")).to_contain_text("主题党日活动记录.pdf")
    _fits_phone(phone_page)
    _shot(phone_page, "3-target-submitted-phone")

    # The overdue task, from the warning's 去处理 link.
    phone_page.goto(f"{base}/cockpit/warnings/")
    phone_page.locator(".list-group-item", has_text=OVERDUE_TITLE).get_by_role("link", name="去处理").click()
    expect(phone_page).to_have_url(f"{base}/tasks/targets/{overdue_target.pk}/")
    expect(phone_page.locator("h1")).to_have_text(OVERDUE_TITLE)
    _submit_completion(phone_page, "上半年党建工作总结已完成，请审核。", "上半年工作总结.pdf")
    expect(phone_page.locator(".alert-success")).to_contain_text("已报送完成情况")
    expect(phone_page.locator("#target-status")).to_have_text("待审核")
    phone_page.goto(f"{base}/tasks/")
    submitted = phone_page.locator('[data-column="submitted"]')
    expect(submitted.locator("a", has_text=OVERDUE_TITLE)).to_contain_text("逾期报送")
    expect(submitted.locator("a", has_text=NEW_TITLE)).to_be_visible()
    _shot(phone_page, "3-board-submitted-phone")

    # (4) The admin accepts both on the task pages.
    page.goto(new_task_url)
    _accept(page, a1.name)
    page.goto(f"{base}/tasks/{overdue.pk}/")
    _accept(page, a1.name)
    expect(page.locator("#targets tbody tr", has_text=a1.name)).to_contain_text("逾期完成")
    _shot(page, "4-overdue-task-accepted")
    assert TaskTarget.objects.get(pk=new_target.pk).on_time is True
    assert TaskTarget.objects.get(pk=overdue_target.pk).status == TargetStatus.ACCEPTED
    assert TaskTarget.objects.get(pk=overdue_target.pk).on_time is False

    # (5) Recompute and refresh; the cockpit shows the completion.
    _recompute_and_refresh(page, base)
    page.goto(f"{base}/cockpit/?unit={world.root.pk}")
    expect(page.locator(RATE)).to_have_text(_percent("25"))
    page.locator("[data-cb-toggle=tasks]").click()
    month_row = page.locator("#table-tasks tbody tr", has_text=f"{now:%Y-%m}")
    expect(month_row.locator("td")).to_have_text(["4", "1", "25"])
    _shot(page, "5-cockpit-root")
    page.goto(f"{base}/cockpit/?unit={world.college_a.pk}")
    expect(page.locator(RATE)).to_have_text(_percent("33.3"))
    page.goto(f"{base}/cockpit/?unit={a1.pk}")
    expect(page.locator(RATE)).to_have_text(_percent("50"))
    _shot(page, "5-cockpit-branch-a1")

    # The warning is cleared: gone from secretary1's open list, listed under 已解除.
    assert Warning.objects.get(rule=RULE, subject=f"target:{overdue_target.pk}").cleared_at is not None
    phone_page.goto(f"{base}/cockpit/warnings/")
    expect(phone_page.locator("#warning-rows")).not_to_contain_text(OVERDUE_TITLE)
    phone_page.get_by_role("link", name="已解除").click()
    cleared = phone_page.locator(".list-group-item", has_text=OVERDUE_TITLE)
    expect(cleared).to_contain_text("解除")
    expect(cleared.get_by_role("link", name="去处理")).to_have_count(0)
    _fits_phone(phone_page)
    _shot(phone_page, "5-warning-cleared-phone")
    assert errors == []
