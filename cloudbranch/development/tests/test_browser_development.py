"""The development journey of issue 6 ("Done means") in a real browser: a branch secretary takes a
person from the masses (群众) through the application, the talk and the recommendation to 入党积极分子,
sees the next step and its due date after each record, is refused when recording 确定发展对象 too
early (with the rule named and nothing written), then records it on the first allowed day; the
applicant follows their own progress on a 375px phone.

The application is dated fourteen months ago so that every later step fits before today: the talk
within the month, the activist a few days later, two half-yearly assessments, and the candidate
exactly one year after the activist (one day earlier is refused: 第十三条). Every page is driven
through the real forms (the step forms are HTMX fragments); every wait is Playwright's ``expect``
auto-waiting; screenshots go to /tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from cloudbranch.development.models import Case, CaseContact, StepRecord
from cloudbranch.development.rules import add_months
from cloudbranch.development.state import step_by_code
from cloudbranch.testing.browser import login_via_form, new_page, screenshot
from cloudbranch.testing.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
APPLICANT = "申请人甲"
SPONSORS = ("联系人甲", "联系人乙")


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _shot(page, name: str) -> None:
    """A full-page screenshot from the top (the sticky navbar otherwise lands mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def _iso(d: datetime.date) -> str:
    return d.isoformat()


def _open_step_form(page, code: str):
    """Click the step's 记录 button; return the form card once HTMX has loaded it."""
    from playwright.sync_api import expect

    page.locator(f"#step-{code} button[hx-get]", has_text="记录").click()
    card = page.locator(f"#step-form-card-{code}")
    expect(card).to_be_visible()
    return card


def _record_step(page, code: str, name: str, occurred_on: datetime.date, fill=None, card=None) -> None:
    """Record one step through its HTMX form (opened here unless ``card`` is already open) and
    wait for the reloaded case page's message."""
    from playwright.sync_api import expect

    card = card or _open_step_form(page, code)
    card.locator("input[name=occurred_on]").fill(_iso(occurred_on))
    if fill:
        fill(card)
    card.get_by_role("button", name="记录").click()
    # HX-Redirect reloads the case page: the form is gone and the message is shown
    expect(page.locator(f"#step-form-card-{code}")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text(f"已记录“{name}”")


@pytest.fixture
def sec_phone(browser):
    """A second phone context (own cookies), for the secretary."""
    page = new_page(browser, phone=True)
    yield page
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_secretary_takes_an_applicant_to_activist_and_is_refused_a_too_early_candidate(
    world, live_server, page, phone_page, sec_phone
):
    from playwright.sync_api import expect

    base = live_server.url
    branch = world.branch_a1
    today = timezone.localdate()
    applied = add_months(today, -14)
    talk_on = applied + datetime.timedelta(days=10)
    activist_on = applied + datetime.timedelta(days=20)
    filed_on = activist_on + datetime.timedelta(days=7)
    assessments = (add_months(activist_on, 6), add_months(activist_on, 11))
    one_year = add_months(activist_on, 12)  # 第十三条: one year after becoming an activist, at the earliest
    too_early = one_year - datetime.timedelta(days=1)
    assert one_year <= today

    user = UserFactory(username="applicant1", display_name=APPLICANT)
    person = PersonFactory(
        unit=branch, name=APPLICANT, political_status="masses", joined_on=None, confirmed_on=None, user=user
    )
    sponsors = [PersonFactory(unit=branch, name=name) for name in SPONSORS]  # full members (the factory's default)

    # --- 1. open the case by recording the application ------------------------------------------
    login_via_form(page, base, "secretary1", PASSWORD)
    page.goto(f"{base}/development/cases/new/?person={person.pk}")
    expect(page.locator("h1")).to_have_text(f"发起发展：{APPLICANT}")
    expect(page.locator("body")).to_contain_text("现政治面貌：群众")
    page.fill("#id_applied_on", _iso(applied))
    _shot(page, "development-01-open-case-desktop")
    page.get_by_role("button", name="记录申请并开始发展").click()
    expect(page).to_have_url(re.compile(r"/development/cases/\d+/$"))
    case = Case.objects.get(person=person)
    assert page.url.endswith(f"/development/cases/{case.pk}/")
    expect(page.locator(".alert-success")).to_contain_text(f"已为{APPLICANT}记录入党申请")
    expect(page.locator("h1")).to_contain_text(APPLICANT)
    expect(page.locator("h1 + div")).to_contain_text("入党申请人")
    # the next step is the talk, due one month after the application (第七条); it lies in 申请入党
    talk_due = add_months(applied, 1)
    banner = page.locator("#next-step")
    expect(banner).to_contain_text("下一步：党组织派人谈话")
    expect(banner).to_contain_text(f"期限 {_iso(talk_due)}")
    stage_one = page.locator("section", has=page.locator("h2", has_text="申请入党"))
    expect(stage_one.locator("#step-talk")).to_contain_text(f"期限 {_iso(talk_due)}")
    expect(stage_one.locator("#step-application")).to_contain_text(_iso(applied))
    _shot(page, "development-02-case-opened-desktop")
    # the case list shows the stage reached and the next due date
    page.goto(f"{base}/development/cases/?q={APPLICANT}")
    row = page.locator("#case-rows tr", has_text=APPLICANT)
    expect(row).to_contain_text("申请入党")
    expect(row).to_contain_text("党组织派人谈话")
    expect(row).to_contain_text(_iso(talk_due))
    row.get_by_role("link", name=APPLICANT).click()
    expect(page).to_have_url(re.compile(rf"/development/cases/{case.pk}/$"))

    # --- 2. the talk, then the recommendation: the person becomes an activist ------------------------
    _record_step(page, "talk", "党组织派人谈话", talk_on)
    expect(page.locator("#step-talk")).to_contain_text("已完成")
    expect(page.locator("#next-step")).to_contain_text("下一步：推荐和确定入党积极分子")

    card = _open_step_form(page, "activist")
    expect(card.locator("select[name=recommendation]")).to_be_visible()
    _shot(page, "development-03-activist-form-desktop")
    _record_step(
        page,
        "activist",
        "推荐和确定入党积极分子",
        activist_on,
        fill=lambda c: c.locator("select[name=recommendation]").select_option("党员推荐"),
        card=card,
    )
    expect(page.locator("h1 + div")).to_contain_text("入党积极分子")
    expect(page.locator("#step-activist")).to_contain_text("党员推荐")
    expect(page.locator("#next-step")).to_contain_text("下一步：上级党委备案")
    person.refresh_from_db()
    assert (person.political_status, person.activist_on) == ("activist", activist_on)
    _shot(page, "development-04-activist-desktop")

    # --- 3. filing and sponsors; the next due date is the half-yearly assessment --------------------
    _record_step(page, "activist_filing", "上级党委备案", filed_on)
    expect(page.locator("#next-step")).to_contain_text("下一步：指定培养联系人")
    _record_step(
        page,
        "sponsors",
        "指定培养联系人",
        filed_on,
        fill=lambda c: c.locator("select[name=sponsors]").select_option(
            label=[f"{n}（{branch.name}）" for n in SPONSORS]
        ),
    )
    for name in SPONSORS:
        expect(page.locator("#step-sponsors")).to_contain_text(name)
    assessment_due = add_months(activist_on, 6)  # 第十一条: every half year
    banner = page.locator("#next-step")
    expect(banner).to_contain_text("下一步：培养教育考察")
    expect(banner).to_contain_text(f"期限 {_iso(assessment_due)}")
    assert sorted(
        CaseContact.objects.filter(case=case, role="sponsor", ended_on__isnull=True).values_list("person_id", flat=True)
    ) == sorted(p.pk for p in sponsors)
    # 确定发展对象 is not offered yet: its prerequisites are missing, and the page says which
    candidate = page.locator("#step-candidate")
    expect(candidate).to_contain_text("须先完成：培养教育考察")
    expect(candidate.locator("button[hx-get]")).to_have_count(0)
    _shot(page, "development-05-sponsors-next-assessment-desktop")

    # the activist sees the same next step and due date on a phone (own account, own page)
    login_via_form(phone_page, base, "applicant1", PASSWORD)
    phone_page.goto(f"{base}/development/mine/")
    expect(phone_page.locator("h1")).to_have_text("我的入党进程")
    expect(phone_page.locator("body")).to_contain_text("当前阶段：入党积极分子的确定和教育培养")
    mine_next = phone_page.locator("[role=status]", has_text="下一步")
    expect(mine_next).to_contain_text("下一步：培养教育考察")
    expect(mine_next).to_contain_text(f"应在 {_iso(assessment_due)} 前完成")
    expect(phone_page.locator("li", has_text="推荐和确定入党积极分子")).to_contain_text(_iso(activist_on))
    _fits_phone(phone_page)
    _shot(phone_page, "development-06-my-progress-activist-phone")

    # two half-yearly assessments
    for number, on in enumerate(assessments, start=1):
        _record_step(
            page,
            "activist_assessment",
            "培养教育考察",
            on,
            fill=lambda c: c.locator("select[name=result]").select_option("合格"),
        )
        expect(page.locator("#step-activist_assessment .border-success")).to_have_count(number)

    # --- 4. 确定发展对象 one day short of a year after the activist: refused, nothing written ----------
    expect(candidate).to_contain_text(f"最早 {_iso(one_year)}")
    card = _open_step_form(page, "candidate")
    expect(card).to_contain_text(f"最早可记录日期 {_iso(one_year)}")
    card.locator("input[name=occurred_on]").fill(_iso(too_early))
    with page.expect_response(lambda r: r.url.endswith(f"/development/cases/{case.pk}/steps/candidate/")) as sent:
        card.get_by_role("button", name="记录").click()
    assert sent.value.status == 422
    refusal = page.locator("#step-form-card-candidate .alert-danger")
    expect(refusal).to_contain_text("不能记录“确定发展对象”")
    expect(refusal).to_contain_text(f"最早可在 {_iso(one_year)} 记录")
    expect(refusal).to_contain_text("第十三条")
    expect(page.locator("#step-form-card-candidate input[name=occurred_on]")).to_have_value(_iso(too_early))
    _shot(page, "development-07-candidate-refused-desktop")
    assert not StepRecord.objects.filter(case=case, step__code="candidate").exists()
    person.refresh_from_db()
    assert (person.political_status, person.candidate_on) == ("activist", None)
    page.reload()
    expect(page.locator("h1 + div")).to_contain_text("入党积极分子")
    expect(page.locator("#step-candidate")).not_to_contain_text("已完成")
    expect(page.locator("#step-candidate .border-success")).to_have_count(0)

    # on the first allowed day it is recorded: the person is now 发展对象
    _record_step(page, "candidate", "确定发展对象", one_year)
    expect(page.locator("h1 + div")).to_contain_text("发展对象")
    expect(page.locator("#step-candidate")).to_contain_text("已完成")
    person.refresh_from_db()
    assert (person.political_status, person.candidate_on) == ("candidate", one_year)
    _shot(page, "development-08-candidate-recorded-desktop")
    case.refresh_from_db()
    assert case.stage == 3

    # --- 5. the person follows their progress on the phone; the secretary's page fits a phone --------
    phone_page.goto(f"{base}/development/mine/")
    expect(phone_page.locator("body")).to_contain_text("当前阶段：发展对象的确定和考察")
    next_box = phone_page.locator("[role=status]", has_text="下一步")
    expect(next_box).to_be_visible()
    expect(next_box).to_contain_text(f"下一步：{step_by_code(case.rule_set_id, case.next_step_code).name}")
    expect(phone_page.locator("li", has_text="确定发展对象")).to_contain_text(_iso(one_year))
    _fits_phone(phone_page)
    _shot(phone_page, "development-09-my-progress-candidate-phone")

    # and the secretary's case page works on a phone too
    login_via_form(sec_phone, base, "secretary1", PASSWORD)
    sec_phone.goto(f"{base}/development/cases/{case.pk}/")
    expect(sec_phone.locator("#next-step")).to_be_visible()
    _fits_phone(sec_phone)
    _shot(sec_phone, "development-10-case-detail-phone")
