"""Accessibility and phones (issue 11, item 7): every member-facing page, at 375x740, passes axe-core
(WCAG 2 A/AA rules, vendored in tests/assets/axe.min.js) with no serious or critical violation, and
does not scroll sideways (a table may scroll inside its .table-responsive box).

One browser context, one login, the pages in sequence: the anonymous pages first (login, public portal,
certificate check, activation), then member1's pages (the "我的" menu, the areas a member reads and
what they link to). The objects are those of the permission matrix (all in branch_a1, member1's branch).
"""

import time
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from cloudbranch.notifications.services import notify
from cloudbranch.testing.browser import DEFAULT_TIMEOUT_MS, login_via_form
from cloudbranch.tests import matrix_service
from cloudbranch.tests.test_permission_matrix import (
    a1_meeting,
    development_objects,
    dues_objects,
    learning_objects,
    news_objects,
)

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
AXE = Path(__file__).parent / "assets" / "axe.min.js"
WIDTH, HEIGHT = 375, 740

# Serious and critical WCAG 2 A/AA violations, a few nodes each (selector and axe's summary).
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa'], resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 6).map(n => n.target.join(' ') + ' | ' + n.html.slice(0, 160))}));
}"""

# Elements that stick out to the right of the screen, outside any box that scrolls on its own.
OVERFLOW = """(width) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-responsive, .cb-scroll-x')) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1) {
      const cls = typeof el.className === 'string' ? el.className.trim().split(/\\s+/).join('.') : '';
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (cls ? '.' + cls : '') + ' right=' + Math.round(r.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, offenders: out.slice(0, 8)};
}"""

# Wait until no HTMX request is in flight (panels that load themselves, the message badge).
HTMX_SETTLED = "() => !document.querySelector('.htmx-request')"


def _url(name: str, *args, query: str = "") -> str | None:
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:  # a page being built by someone else right now
        return None


def _pages(world) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(anonymous pages, member1's pages) as (label, path), with the objects they show created."""
    w = world
    meeting = a1_meeting(w)
    dues = dues_objects(w)
    development = development_objects(w)
    learning = learning_objects(w)
    news = news_objects(w)
    service = matrix_service.service_objects(w)
    democracy = matrix_service.democracy_objects(w)
    school = matrix_service.school_objects(w)
    notify(recipients=[w.users["member1"]], category="system", title="请按时参加组织生活")

    from cloudbranch.school.models import Certificate

    certificate = Certificate.objects.get(pk=school["school:certificate"][0])
    a1 = w.branch_a1.pk
    anonymous = [
        ("登录", _url("accounts:login")),
        ("门户首页", _url("public:home")),
        ("门户文章", _url("public:article", *news["public:article"])),
        ("门户留言板", _url("public:board")),
        ("证书验证", _url("school:verify", certificate.code)),
        ("账号激活", _url("onboarding:start")),
        ("找回密码", _url("onboarding:reset")),
    ]
    member = [
        ("首页", _url("core:home")),
        ("我的档案", _url("people:own")),
        ("组织架构", _url("orgs:tree")),
        ("我的会议", _url("meetings:my_meetings")),
        ("会议详情", _url("meetings:detail", meeting.pk)),
        ("学习首页", _url("learning:home")),
        ("我的学习", _url("learning:my_study")),
        ("学习资料", _url("learning:resources")),
        ("资料详情", _url("learning:resource", *learning["learning:resource"])),
        ("学习专题", _url("learning:topics")),
        ("专题详情", _url("learning:topic", *learning["learning:topic"])),
        ("学习任务", _url("learning:my_tasks")),
        ("我的考试", _url("learning:my_exams")),
        ("答卷", _url("learning:attempt", *learning["learning:attempt"])),
        ("练习", _url("learning:practice", *learning["learning:practice"])),
        ("错题本", _url("learning:wrongbook")),
        ("掌握度", _url("learning:mastery")),
        ("知识竞赛", _url("learning:contests")),
        ("竞赛详情", _url("learning:contest", *learning["learning:contest"])),
        ("对战", _url("learning:duels")),
        ("对战详情", _url("learning:duel", *learning["learning:duel"])),
        ("学习证明", _url("learning:certificate", *learning["learning:certificate"])),
        ("我的积分", _url("points:mine")),
        ("积分排行", _url("points:ranking", query=f"?unit={a1}")),
        ("党建动态", _url("news:articles")),
        ("文章", _url("news:article", *news["news:article"])),
        ("活力直播台", _url("news:feed")),
        ("动态详情", _url("news:post", *news["news:post"])),
        ("发布动态", _url("news:post_create")),
        ("留言板", _url("news:board")),
        ("我的留言", _url("news:message", *news["news:message"])),
        ("写留言", _url("news:message_create")),
        ("党内公示", _url("development:notices")),
        ("公示详情", _url("development:notice_detail", *development["development:notice_detail"])),
        ("我的发展", _url("development:my_case")),
        ("思想汇报", _url("development:my_reports")),
        ("我的党费", _url("fees:my_dues")),
        ("缴费基数", _url("fees:bases")),
        ("缴费订单", _url("fees:order", *dues["fees:order"])),
        ("志愿服务", _url("volunteering:posts")),
        ("服务项目", _url("volunteering:post", *service["volunteering:post"])),
        ("微心愿", _url("volunteering:wishes")),
        ("心愿详情", _url("volunteering:wish", *service["volunteering:wish"])),
        ("我的志愿服务", _url("volunteering:my_service")),
        ("志愿者资料", _url("volunteering:profile")),
        ("换届选举", _url("voting:elections")),
        ("选举", _url("voting:election", *democracy["voting:election"])),
        ("民主评议", _url("voting:appraisals")),
        ("自我评价", _url("voting:self_assessment", *democracy["voting:self_assessment"])),
        ("评先评优", _url("voting:awards")),
        ("我的党校", _url("school:my")),
        ("党校班次", _url("school:classes")),
        ("班次详情", _url("school:class", *school["school:class"])),
        ("作业", _url("school:assignments", *school["school:assignments"])),
        ("学时", _url("school:hours", *school["school:hours"])),
        ("结业证书", _url("school:certificate", certificate.pk)),
        ("消息", _url("notifications:inbox")),
        ("通知设置", _url("notifications:preferences")),
        ("账号与令牌", _url("accounts:profile")),
        ("修改密码", _url("accounts:password_change")),
    ]
    return [p for p in anonymous if p[1]], [p for p in member if p[1]]


def _audit(page) -> list[str]:
    """The problems of the page as it is now (empty when it passes): axe, then the sideways scroll."""
    page.wait_for_function(HTMX_SETTLED)
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    problems = []
    for v in page.evaluate(RUN_AXE):
        problems.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        problems.extend(f"      {node}" for node in v["nodes"])
    overflow = page.evaluate(OVERFLOW, WIDTH)
    if overflow["scrollWidth"] > WIDTH + 1:
        problems.append(f"scrolls sideways: scrollWidth={overflow['scrollWidth']}")
        problems.extend(f"      {o}" for o in overflow["offenders"])
    return problems


def _check(page, base: str, path: str, *, optional: bool = False) -> list[str] | None:
    """The problems of one page; None when an optional page is not there (404)."""
    response = page.goto(base + path)
    status = response.status if response else 0
    if status != 200:
        return None if optional and status == 404 else [f"HTTP {status}"]
    return _audit(page)


@pytest.fixture
def phone(browser):
    """A 375x740 phone page; its context bypasses the CSP so that axe can be injected as a script tag."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        bypass_csp=True,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_member_pages_pass_axe_on_a_phone(phone, live_server, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    started = time.monotonic()
    anonymous, member = _pages(world)
    print(f"data: {time.monotonic() - started:.1f} s")
    page, base = phone, live_server.url.rstrip("/")

    failures: dict[str, list[str]] = {}
    checked: list[str] = []

    def visit(label: str, path: str, *, optional: bool = False) -> None:
        problems = _check(page, base, path, optional=optional)
        if problems is not None:
            checked.append(label)
        if problems:
            failures[f"{label} {path}"] = problems

    for label, path in anonymous:
        visit(label, path, optional=path.startswith("/activate/"))  # being built now: checked once it is there

    login_via_form(page, base, "member1", PASSWORD)
    assert "/accounts/login/" not in page.url, "member1 could not log in"
    for label, path in member:
        visit(label, path)

    # The phone menu, opened, with the "我的" dropdown shown (hidden content is not checked above).
    page.goto(base + "/")
    page.click(".navbar-toggler")
    page.wait_for_selector("#cb-nav.collapse.show")
    page.locator("#cb-nav .dropdown-toggle", has_text="我的").click()
    page.wait_for_selector("#cb-nav .dropdown-menu.show")
    if problems := _audit(page):
        failures["手机菜单（我的）"] = problems
    checked.append("手机菜单")

    print(f"pages: {time.monotonic() - started:.1f} s; {len(checked)} checked: {'、'.join(checked)}")
    report = "\n".join(
        f"{page_name}\n" + "\n".join(f"  {p}" for p in problems) for page_name, problems in failures.items()
    )
    assert not failures, f"{len(failures)} of {len(checked)} pages fail:\n{report}"


def test_axe_is_the_vendored_release():
    head = AXE.read_text(encoding="utf-8")[:200]
    assert head.startswith("/*! axe v4.14.1") and "Deque Systems" in head
