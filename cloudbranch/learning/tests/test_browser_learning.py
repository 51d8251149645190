"""The learning + points journeys of issue 5 ("Done means") in a real browser.

1. A member on a 375px phone sees the branch ranking (second, behind 张一 who attended two
   meetings), opens an article from the study home and reads it: the page's own heartbeat
   (static/learning/study.js) starts the clock and its second real beat, 15 s later, is credited
   by the real rules (tracking.heartbeat: ≤ 20 s per beat) and completes the article (reading
   time asked: 10 s). My points show the read_article point; the daily quiz is answered through
   the UI (four right, one wrong on purpose), the score shows 4 / 5 and 4 points, and the
   ranking now puts the member first. No page scrolls sideways.
2. A branch secretary on a desktop assigns the article to the whole branch through the task form
   and sees a 0 % completion rate; once member1 has read the article (two heartbeats through the
   tracking service, 15 s apart on the clock it is given) the task page shows 50 %, 1 of 2, and
   member1 done in the per-person table; the task list shows 1/2.

The only wait that is not a Playwright ``expect`` is the real 15 s heartbeat interval of
journey 1. Screenshots go to /tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from cloudbranch.learning import tracking
from cloudbranch.learning.models import Question, StudyProgress, StudyTask
from cloudbranch.learning.tests.test_resources_support import make_resource
from cloudbranch.points import services as points
from cloudbranch.testing.browser import login_via_form, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
READ_SECONDS = 10  # the article's reading time: one credited heartbeat (15 s) completes it
BEAT_WAIT_MS = 25_000  # study.js beats every 15 s; a little slack for a loaded machine
TITLE = "深刻领悟“两个确立”的决定性意义"
BODY = "<h2>一、为什么</h2><p>" + "学习党章，尊崇党章，遵守党章，贯彻党章，维护党章。" * 20 + "</p>"

# The school's bank (at the root: it reaches every member), the kinds the daily quiz draws
# (single ×2, judge, multiple, fill); keyed by stem: (kind, options, answer, the right response
# as the UI takes it: option texts to tick, or the words to type in the blanks).
BANK = {
    "党的最高领导机关是：": (
        "single",
        ["党的全国代表大会和它所产生的中央委员会", "中央纪律检查委员会", "中央军事委员会", "中央书记处"],
        [0],
        ["党的全国代表大会和它所产生的中央委员会"],
    ),
    "党支部党员人数超过多少人的，应当设立支部委员会？": ("single", ["三人", "五人", "七人", "九人"], [2], ["七人"]),
    "预备党员的预备期为一年。": ("judge", ["正确", "错误"], [0], ["正确"]),
    "下列属于党章规定的党的纪律的有：": (
        "multiple",
        ["政治纪律", "组织纪律", "群众纪律", "娱乐纪律"],
        [0, 1, 2],
        ["政治纪律", "组织纪律", "群众纪律"],
    ),
    "中国共产党的根本宗旨是全心全意____。": ("fill", [], [["为人民服务"]], ["为人民服务"]),
}


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _shot(page, name: str) -> None:
    """A full-page screenshot from the top (the sticky navbar otherwise lands mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def _article(world):
    return make_resource(
        world.branch_a1,
        world.users["secretary1"],
        title=TITLE,
        body=BODY,
        kps=["两个确立"],
        min_seconds=READ_SECONDS,
    )


def _school_bank(world) -> None:
    for stem, (kind, options, answer, _) in BANK.items():
        Question.objects.create(
            unit=world.root,
            kind=kind,
            stem=stem,
            options=options,
            answer=answer,
            explanation="依据《中国共产党章程》。",
            created_by=world.users["admin"],
        )


def _answer(page, *, right: bool) -> str:
    """Answer the question on the daily card (right, or wrong on purpose); returns its stem."""
    card = page.locator("#daily-card")
    stem = card.locator("form .fs-5").inner_text().strip()
    kind, options, _, response = BANK[stem]
    if kind == "fill":
        card.locator("input[name=blank]").first.fill(response[0] if right else "不知道")
    else:
        texts = response if right else [t for t in options if t not in response][:1]
        for text in texts:
            card.locator("label", has_text=text).locator("input[name=choice]").check()
    card.get_by_role("button", name="提交答案").click()
    return stem


def _beat_of(resource):
    path = f"/learning/resources/{resource.pk}/beat/"
    return lambda r: r.url.endswith(path) and r.request.method == "POST"


# --- 1. a member on a phone: article → points → daily quiz → ranking --------------------------


def test_member_reads_does_the_daily_quiz_and_climbs_the_branch_ranking_on_a_phone(world, live_server, phone_page):
    from playwright.sync_api import expect

    page = phone_page
    base = live_server.url
    points.clear_rules_cache()  # the live server's thread shares the per-process rules cache
    article = _article(world)
    _school_bank(world)
    rival = world.people["a1_other"]  # 张一, same branch: two meetings attended = 4 points this month
    for meeting in ("1", "2"):
        assert points.point_award(person=rival, action="meeting_attendance", source_type="meeting", source_id=meeting)

    login_via_form(page, base, "member1", PASSWORD)

    # --- before: second in the branch, behind 张一 ------------------------------------------------
    page.goto(f"{base}/points/ranking/")
    expect(page.locator("#ranking-me")).to_contain_text("我的排名：第 2 名")
    expect(page.locator("#ranking-me")).to_contain_text("0 分")
    first = page.locator("#ranking-list > li").first
    expect(first).to_contain_text("张一")
    expect(first).to_contain_text("4")
    _fits_phone(page)
    _shot(page, "learning-journey-01-ranking-before-phone")

    # --- the study home → the article; the page's heartbeat completes it ---------------------------
    page.goto(f"{base}/learning/")
    expect(page.locator("#study-cards")).to_contain_text("今日积分")
    _fits_phone(page)
    beat = _beat_of(article)
    with page.expect_response(beat) as first_beat:
        page.get_by_role("link", name=TITLE).first.click()
    started = first_beat.value.json()
    assert first_beat.value.status == 200 and started["seconds"] == 0 and started["completed"] is False, started
    expect(page.locator("h1")).to_have_text(TITLE)
    done = page.locator('#study-status [data-field="done"]')
    expect(done).to_be_hidden()
    _fits_phone(page)
    with page.expect_response(beat, timeout=BEAT_WAIT_MS) as second_beat:
        pass  # the second real beat of study.js, 15 s after the first
    data = second_beat.value.json()
    assert second_beat.value.status == 200
    assert READ_SECONDS <= data["seconds"] <= tracking.MAX_BEAT_SECONDS and data["completed"] is True, data
    expect(done).to_be_visible()
    expect(done).to_contain_text("已完成")
    _shot(page, "learning-journey-02-article-read-phone")
    progress = StudyProgress.objects.get(person=world.people["member1"], resource=article)
    assert progress.completed_at is not None and progress.seconds == data["seconds"]

    # --- my points: the read_article point, still second in the branch ----------------------------
    page.goto(f"{base}/points/mine/")
    expect(page.locator("#points-today")).to_have_text("1")
    history = page.locator("#points-history")
    expect(history).to_contain_text("阅读文章")
    expect(history.locator("li", has_text="阅读文章")).to_contain_text("+1")
    expect(page.locator("#points-branch-rank")).to_contain_text("排名第 2 名")
    _fits_phone(page)
    _shot(page, "learning-journey-03-my-points-after-reading-phone")

    # --- the daily quiz, answered through the UI: four right, the last one wrong --------------------
    page.goto(f"{base}/learning/")
    page.locator("#study-cards a", has_text="每日答题").click()
    expect(page).to_have_url(re.compile(r"/learning/daily/$"))
    card = page.locator("#daily-card")
    asked = []
    for i in range(5):
        expect(card).to_contain_text(f"第 {i + 1} / 5 题")
        _fits_phone(page)
        if i == 0:
            _shot(page, "learning-journey-04-daily-question-phone")
        right = i < 4
        asked.append(_answer(page, right=right))
        feedback = page.locator("#daily-feedback")
        expect(feedback).to_contain_text("回答正确，积分 +1" if right else "回答错误，已加入错题本")
        if not right:
            expect(card).to_contain_text("正确答案：")
            _shot(page, "learning-journey-05-daily-wrong-answer-phone")
        card.get_by_role("link", name="查看今日成绩" if i == 4 else "下一题").click()
    assert sorted(asked) == sorted(BANK)  # every kind the quiz draws, each question once
    score = page.locator("#daily-done")
    expect(score).to_contain_text("4 / 5")
    expect(score).to_contain_text("获得积分 4 分")
    _fits_phone(page)
    _shot(page, "learning-journey-06-daily-score-phone")

    # --- the ranking moved: first in the branch, ahead of 张一 --------------------------------------
    score.get_by_role("link", name="查看积分排行").click()
    expect(page).to_have_url(re.compile(r"/points/ranking/$"))
    expect(page.locator("#ranking-me")).to_contain_text("我的排名：第 1 名")
    expect(page.locator("#ranking-me")).to_contain_text("5 分")
    rows = page.locator("#ranking-list > li")
    expect(rows.nth(0)).to_contain_text("党员一")
    expect(rows.nth(0)).to_contain_text("5")
    expect(rows.nth(1)).to_contain_text("张一")
    expect(rows.nth(1)).to_contain_text("4")
    _fits_phone(page)
    _shot(page, "learning-journey-07-ranking-after-phone")

    page.goto(f"{base}/points/mine/")
    expect(page.locator("#points-today")).to_have_text("5")
    expect(page.locator("#points-history")).to_contain_text("每日答题")
    expect(page.locator("#points-branch-rank")).to_contain_text("排名第 1 名")
    _fits_phone(page)


# --- 2. a secretary assigns a study task and sees the completion rate ----------------------------


def test_secretary_assigns_a_study_task_and_sees_the_completion_rate(world, live_server, page):
    from playwright.sync_api import expect

    base = live_server.url
    points.clear_rules_cache()
    article = _article(world)
    member1, other = world.people["member1"], world.people["a1_other"]
    deadline = timezone.localdate() + datetime.timedelta(days=7)
    title = "学习“两个确立”专题文章"

    login_via_form(page, base, "secretary1", PASSWORD)
    page.goto(f"{base}/learning/tasks/")
    page.get_by_role("link", name="布置任务").click()
    expect(page).to_have_url(re.compile(r"/learning/tasks/new/$"))
    expect(page.locator("#unit-pick")).to_contain_text(world.branch_a1.name)
    page.fill("#id_title", title)
    page.fill("#id_description", "请在截止日期前读完文章。")
    page.fill("#id_deadline", deadline.isoformat())
    page.get_by_label(re.compile(re.escape(TITLE))).check()
    expect(page.locator("#scope-subtree")).to_be_checked()  # the whole branch
    _shot(page, "learning-journey-08-task-form-desktop")
    page.get_by_role("button", name="布置并通知").click()

    expect(page).to_have_url(re.compile(r"/learning/tasks/\d+/$"))
    task = StudyTask.objects.get(title=title)
    assert page.url.endswith(f"/learning/tasks/{task.pk}/")
    assert set(task.assignees.values_list("person_id", flat=True)) == {member1.pk, other.pk}
    expect(page.locator(".alert-success")).to_contain_text(f"已布置学习任务“{title}”，共 2 人")
    totals = page.locator("#unit-rollup tfoot tr")
    expect(totals).to_contain_text("0.0%")
    expect(totals.locator("td").nth(1)).to_have_text("2")
    expect(totals.locator("td").nth(2)).to_have_text("0")
    row = page.locator("#progress tbody tr", has_text=member1.name)
    expect(row).to_contain_text("0/1")
    expect(row).to_contain_text("未完成")
    _shot(page, "learning-journey-09-task-zero-desktop")

    # member1 reads the article: two beats 15 s apart on the clock given to the tracking service
    now = timezone.now()
    tracking.heartbeat(person=member1, resource=article, now=now - datetime.timedelta(seconds=15))
    progress = tracking.heartbeat(person=member1, resource=article, now=now)
    assert progress.seconds == 15 and progress.completed_at is not None

    page.reload()
    expect(totals).to_contain_text("50.0%")
    expect(totals.locator("td").nth(2)).to_have_text("1")
    expect(row).to_contain_text("1/1")
    expect(row).to_contain_text("已完成")
    expect(page.locator("#progress tbody tr", has_text=other.name)).to_contain_text("未完成")
    # the 已完成 filter (HTMX) leaves member1 alone
    page.locator("a.btn", has_text="已完成").click()
    expect(page.locator("#progress")).to_contain_text("共 1 人")
    expect(page.locator("#progress tbody tr")).to_have_count(1)
    expect(page.locator("#progress tbody tr")).to_contain_text(member1.name)
    _shot(page, "learning-journey-10-task-half-done-desktop")

    page.goto(f"{base}/learning/tasks/")
    expect(page.locator("#task-rows a", has_text=title)).to_contain_text("1/2 人完成")
