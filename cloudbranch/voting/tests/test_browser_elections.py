"""Browser journey of issue 9 ("Done means"): a branch holds an election on phone viewports with
three voters, and the secretary sees the result.

The branch secretary, on a desktop, creates the election through the form (2 seats, 差额 20% →
at least 3 candidates), nominates the branch's three members, fixes the candidate list and the
voters' roll. Two voters tap 报到 on their phones, the secretary marks the third present on the
roll page (HTMX) and opens the first round (quorum: 3 of 3). Each voter, in their own 375×667
phone context, marks the ballot (赞成 / 不赞成 / 弃权 per candidate), reviews it on the
confirmation step and casts it; the page then says 您已投票 and shows no ballot. One voter
tries again from a second tab still showing the ballot: the server refuses (您已投票，每轮只能投一次)
and nothing is stored. The secretary closes the round and the result page shows the tallies
(A 3/0/0 当选, B 2/1/0 当选, C 1/1/1 未当选), 3 ballots, the majority needed (2) and the winners.

Every wait is Playwright's ``expect`` auto-waiting (no sleeps); screenshots go to
/tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import re

import pytest

from cloudbranch.orgs.roles import Role
from cloudbranch.testing.browser import login_via_form, screenshot
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit
from cloudbranch.voting.models import Election, Round, VoteMark

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE = {"width": 375, "height": 667}
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
TITLE = "计算机研究生党支部第三届委员会换届选举"
NAMES = ("陈晓明", "刘建华", "王思远")  # A, B, C: the three members, each a voter and a candidate


def _expect():
    from playwright.sync_api import expect

    return expect


def _phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    return context


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE["width"] + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def _mark(page, candidate_id: int, mark: str) -> None:
    """Tap 赞成 / 不赞成 / 弃权 of one candidate (the radio is a Bootstrap btn-check: tap its label)."""
    page.locator(f"label[for=m{candidate_id}_{mark}]").click()
    _expect()(page.locator(f"#m{candidate_id}_{mark}")).to_be_checked()


def test_branch_holds_an_election_on_phones_and_the_secretary_sees_the_result(world, live_server, browser, page):
    expect = _expect()
    base = live_server.url
    branch = make_unit(parent=world.college_a, name="计算机研究生党支部", code="CAG1")
    secretary = UserFactory(username="secretary_g1", display_name="研究生支部书记")
    grant(secretary, branch, Role.BRANCH_SECRETARY)
    voters = {}
    for name in NAMES:
        user = UserFactory()
        grant(user, branch, Role.MEMBER)
        voters[name] = PersonFactory(unit=branch, name=name, user=user)
    a, b, c = NAMES

    # --- the secretary (desktop): create the election, nominate, fix the candidates and the roll ---
    login_via_form(page, base, secretary.username, PASSWORD)
    page.goto(f"{base}/democracy/elections/")
    page.get_by_role("link", name="新建选举").click()
    expect(page).to_have_url(re.compile(r"/democracy/elections/new/$"))
    expect(page.locator("#id_unit")).to_contain_text(branch.name)
    page.select_option("#id_unit", label=branch.name)
    page.fill("#id_title", TITLE)
    page.fill("#id_seats", "2")
    page.fill("#id_term_years", "3")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/democracy/elections/\d+/candidates/$"))
    election = Election.objects.get(title=TITLE)
    expect(page.locator("main")).to_contain_text("候选人至少 3 名")
    for name in NAMES:
        page.select_option("#id_person", label=f"{name}（{branch.name}）")
        page.get_by_role("button", name="添加").click()
        expect(page.locator("ol.list-group")).to_contain_text(name)
    expect(page.locator("main")).to_contain_text("现有 3 名")
    _shot(page, "elections-01-candidates-desktop")
    page.get_by_role("button", name="确定候选人名单").click()
    expect(page).to_have_url(f"{base}/democracy/elections/{election.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("候选人名单已确定")
    page.get_by_role("button", name="确定选举人名单").click()
    expect(page).to_have_url(f"{base}/democracy/elections/{election.pk}/voters/")
    expect(page.locator(".alert-success")).to_contain_text("选举人名单已确定，共 3 人")
    panel = page.locator("#roll-panel")
    expect(panel).to_contain_text("应到 3 人，实到 0 人（须至少 3 人）")
    cand = {cd.person.name: cd.pk for cd in election.candidates.select_related("person")}

    # --- the three voters, each on their own phone: log in, open the election ---------------------
    phones = {}
    for name in NAMES:
        context = _phone(browser)
        phone = context.new_page()
        login_via_form(phone, base, voters[name].user.username, PASSWORD)
        phone.goto(f"{base}/democracy/elections/")
        phone.get_by_role("link", name=re.compile(TITLE)).click()
        expect(phone).to_have_url(f"{base}/democracy/elections/{election.pk}/")
        phones[name] = phone
    try:
        # A and B tap 报到 on their phones; C forgot: the secretary marks C present on the roll.
        for name in (a, b):
            phone = phones[name]
            phone.locator("#ballot").get_by_role("button", name="报到").click()
            expect(phone.locator(".alert-success")).to_contain_text("已报到")
            expect(phone.locator("#ballot")).to_contain_text("您已报到")
            _fits_phone(phone)
        _shot(phones[a], "elections-02-checked-in-phone")
        page.reload()
        expect(panel).to_contain_text("实到 2 人")
        row = panel.locator("li.list-group-item", has_text=c)
        row.get_by_role("button", name="标记到会").click()  # HTMX: the panel is swapped
        expect(panel.locator("li.list-group-item", has_text=c).get_by_role("button", name="已到会 ✓")).to_be_visible()
        expect(panel).to_contain_text("应到 3 人，实到 3 人（须至少 3 人）")

        # The secretary opens round 1 from the election page.
        page.goto(f"{base}/democracy/elections/{election.pk}/")
        expect(page.locator("main")).to_contain_text("已超过五分之四")
        page.get_by_role("button", name="开始投票").click()
        expect(page.get_by_role("button", name="结束第1轮并计票")).to_be_visible()
        expect(page.locator("main")).to_contain_text("应到 3 人，实到 3 人")

        # C keeps a second tab on the ballot (to try a second ballot later).
        stale = phones[c].context.new_page()
        stale.goto(f"{base}/democracy/elections/{election.pk}/")
        expect(stale.locator("#ballot-form")).to_be_visible()

        # Each voter marks and casts: A: A for, B for (C abstains); B: A for, B against, C for;
        # C: A for, B for, C against.
        ballots = {
            a: {a: "for", b: "for"},
            b: {a: "for", b: "against", c: "for"},
            c: {a: "for", b: "for", c: "against"},
        }
        labels = {"for": "赞成", "against": "不赞成", "abstain": "弃权"}
        for voter_name, marks in ballots.items():
            phone = phones[voter_name]
            phone.reload()
            form = phone.locator("#ballot-form")
            expect(form).to_be_visible()
            expect(phone.locator("#ballot h2")).to_contain_text("第1轮")
            expect(phone.locator("#ballot h2")).to_contain_text("应选 2 名")
            for name in NAMES:
                expect(phone.locator(f"#m{cand[name]}_abstain")).to_be_checked()
            for name, mark in marks.items():
                _mark(phone, cand[name], mark)
            n_for = sum(1 for m in marks.values() if m == "for")
            expect(phone.locator("#for-count")).to_have_text(str(n_for))
            _fits_phone(phone)
            if voter_name == b:
                _shot(phone, "elections-03-ballot-phone")
            form.get_by_role("button", name="下一步：确认").click()
            expect(phone.locator("h1")).to_have_text("确认选票")
            rows = phone.locator("ul.list-group li")
            expect(rows).to_have_count(3)
            for i, name in enumerate(NAMES):
                expect(rows.nth(i)).to_contain_text(name)
                expect(rows.nth(i)).to_contain_text(labels[marks.get(name, "abstain")])
            expect(phone.locator("main")).to_contain_text(f"赞成 {n_for} / 2 名")
            _fits_phone(phone)
            if voter_name == b:
                _shot(phone, "elections-04-confirm-phone")
            phone.get_by_role("button", name="确认投票").click()
            expect(phone).to_have_url(f"{base}/democracy/elections/{election.pk}/")
            expect(phone.locator("#ballot")).to_contain_text("您已投票")
            expect(phone.locator("#ballot-form")).to_have_count(0)
            _fits_phone(phone)
        _shot(phones[a], "elections-05-voted-phone")
        assert VoteMark.objects.filter(round__election=election).count() == 3

        # C tries again from the stale tab: the server refuses, the page says 已投票.
        _mark(stale, cand[c], "for")
        stale.locator("#ballot-form").get_by_role("button", name="下一步：确认").click()
        expect(stale.locator("h1")).to_have_text("确认选票")
        stale.get_by_role("button", name="确认投票").click()
        expect(stale.locator("main .alert-danger")).to_contain_text("您已投票，每轮只能投一次")
        expect(stale.locator("#ballot")).to_contain_text("已投票")
        expect(stale.locator("#ballot-form")).to_have_count(0)
        _fits_phone(stale)
        _shot(stale, "elections-06-second-ballot-refused-phone")
        assert VoteMark.objects.filter(round__election=election).count() == 3
        assert Round.objects.get(election=election).ballots.count() == 3

        # --- the secretary: the roll shows three 已投票, close the round, the result ---------------
        page.goto(f"{base}/democracy/elections/{election.pk}/voters/")
        expect(panel.locator(".badge", has_text="已投票")).to_have_count(3)
        page.goto(f"{base}/democracy/elections/{election.pk}/")
        page.get_by_role("button", name="结束第1轮并计票").click()
        expect(page).to_have_url(f"{base}/democracy/elections/{election.pk}/result/")
        main = page.locator("main")
        expect(main).to_contain_text("应到 3 人，实到 3 人；收回选票 3 张（纸质投票 0 人），有效 3 张，无效 0 张")
        expect(main).to_contain_text("至少 2 票")
        tally = page.locator("table tbody tr")
        expect(tally).to_have_count(3)
        expected = {a: ("3", "0", "0", "当选"), b: ("2", "1", "0", "当选"), c: ("1", "1", "1", "未当选")}
        for name, (n_for, n_against, n_abstain, outcome) in expected.items():
            cells = page.locator("table tbody tr", has_text=name).locator("td")
            expect(cells.nth(1)).to_have_text(n_for)
            expect(cells.nth(2)).to_have_text(n_against)
            expect(cells.nth(3)).to_have_text(n_abstain)
            expect(cells.nth(4)).to_have_text(outcome)
        winners = page.locator("section", has=page.get_by_role("heading", name=re.compile("当选人"))).locator("li")
        expect(winners).to_have_count(2)
        expect(winners.nth(0)).to_contain_text(a)
        expect(winners.nth(0)).to_contain_text("3 票")
        expect(winners.nth(1)).to_contain_text(b)
        expect(winners.nth(1)).to_contain_text("2 票")
        expect(main).not_to_contain_text("尚无当选人")
        _shot(page, "elections-07-result-desktop")
        election.refresh_from_db()
        assert election.status == "counted"

        # A voter sees the counted result on the phone too.
        phones[a].goto(f"{base}/democracy/elections/{election.pk}/")
        phones[a].get_by_role("link", name="选举结果").click()
        expect(phones[a]).to_have_url(f"{base}/democracy/elections/{election.pk}/result/")
        expect(phones[a].locator("table tbody tr", has_text=a).locator("td").nth(4)).to_have_text("当选")
        _fits_phone(phones[a])
        _shot(phones[a], "elections-08-result-phone")
    finally:
        for phone in phones.values():
            phone.context.close()
