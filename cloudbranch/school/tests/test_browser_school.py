"""Browser journey of issue 13 ("Done means"): a student on a phone viewport checks in to a session,
finishes an online course, passes the exam and opens the certificate's verification page.

The class (run by the college, 3 class hours to pass, a final exam) has an offline session on now
(2 hours) and an online course with one article (1 hour). On a 375px phone the student:

1. opens 我的党校 from the phone menu (我的 → 我的党校), sees the session under 今日课程
   (0.0 / 3.0 学时), taps 去签到 and types the 6-digit
   code (the code the head teacher's screen shows): 签到成功, 2.0 学时;
2. continues the online course from 我的党校: the article page's own heartbeat (study.js) starts
   the clock; the test then moves time on by 15 s — the page's clock (Playwright's clock) and the
   server's record of the previous beat alike — so that the page's second real beat is credited
   15 s by the real rules (reading time asked: 10 s) and completes the article; the hours become
   3.0 / 3.0 (100%);
3. starts the final exam from 我的党校 (参加结业考试), answers on learning's pages (交卷): 10 / 10,
   合格, and the class page shows the exam score.

The head teacher, on a desktop, finalizes the class on the results page (办理结业: 结业 1 人, 证书 1 份).
The student opens the certificate page from 我的党校 (serial shown) and a visitor, in a
fresh logged-out phone context, follows its verification link: 有效, the masked name, the class.

Every wait is Playwright's ``expect`` auto-waiting (no sleeps); screenshots go to
/tmp/cloudbranch-screenshots.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from cloudbranch.learning.models import StudyProgress
from cloudbranch.learning.tests.test_exams_support import make_paper, make_question
from cloudbranch.school.choices import EnrolmentStatus, SessionKind
from cloudbranch.school.models import Attendance, Certificate, Enrolment
from cloudbranch.school.tests.factories import (
    library_resource,
    make_enrolment,
    make_item,
    make_running_class,
    make_session,
    make_student,
    session_at,
)
from cloudbranch.testing.browser import login_via_form, new_page, screenshot
from cloudbranch.testing.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Passw0rd!x"  # UserFactory's password
PHONE_WIDTH = 375
SCROLL_TOLERANCE = 2  # px: sub-pixel rounding, never a real horizontal scroll
STUDENT = "李明华"
CLASS_TITLE = "2026年第1期入党积极分子培训班"
ARTICLE = "学习党章 遵守党章"
READ_SECONDS = 10  # the article's reading time: one credited 15 s beat completes it
EXAM = "入党积极分子培训班结业考试"
# The exam: (stem, options, index of the right option); options are shuffled per attempt.
QUESTIONS = [
    ("中国共产党的最高理想和最终目标是：", ["实现共产主义", "全面建成小康社会", "实现现代化", "消灭贫困"], 0),
    ("入党积极分子应当由党组织指定培养联系人。", ["正确", "错误"], 0),
]


def _expect():
    from playwright.sync_api import expect

    return expect


def _fits_phone(page) -> None:
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert width <= PHONE_WIDTH + SCROLL_TOLERANCE, f"{page.url} scrolls sideways on a phone: {width}px"


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, name)


def _setup(world):
    today = timezone.localdate()
    head_teacher = UserFactory(username="head_teacher1", display_name="党校班主任")
    author = world.users["admin"]
    questions = [
        make_question(
            world.college_a,
            author,
            kind="single" if len(opts) > 2 else "judge",
            stem=stem,
            options=opts,
            answer=[right],
        )  # fmt: skip
        for stem, opts, right in QUESTIONS
    ]
    paper = make_paper(world.college_a, author, questions=questions, points=5, pass_score=6, title=EXAM)
    tc = make_running_class(
        world.college_a,
        head_teacher=head_teacher,
        title=CLASS_TITLE,
        starts_on=today - datetime.timedelta(days=10),
        ends_on=today,  # the head teacher may finalize today
        pass_hours=Decimal("3"),
        exam_paper=paper,
    )
    now = timezone.now().replace(microsecond=0)
    offline = session_at(tc, now - datetime.timedelta(minutes=10), minutes=90, title="党的基本理论", hours=Decimal("2"))
    online = make_session(tc, kind=SessionKind.ONLINE, title="网络课程：党章学习", position=2, hours=Decimal("1"))
    article = library_resource(
        world.college_a,
        title=ARTICLE,
        body="<p>" + "党章是党的总章程，是全党必须共同遵守的根本行为规范。" * 20 + "</p>",
        min_seconds=READ_SECONDS,
    )
    make_item(online, article, hours=Decimal("1"))
    user, person = make_student(world.branch_a1, name=STUDENT)
    enrolment = make_enrolment(tc, person)
    return tc, offline, online, article, user, person, enrolment, head_teacher


def test_student_checks_in_studies_passes_the_exam_and_verifies_the_certificate_on_a_phone(
    world, live_server, browser, page, phone_page
):
    expect = _expect()
    base = live_server.url
    tc, offline, online, article, user, person, enrolment, head_teacher = _setup(world)
    phone = phone_page
    phone.on("dialog", lambda dialog: dialog.accept())  # 开始考试 / 交卷 ask for confirmation
    phone.clock.install()  # the page's timers run on a clock the test may move on

    # --- 1. 我的党校: today's session, check in with the 6-digit code ------------------------------
    login_via_form(phone, base, user.username, PASSWORD)
    phone.locator(".navbar-toggler").click()  # the phone menu: 我的 → 我的党校
    phone.locator("#cb-nav").locator(".dropdown-toggle", has_text=re.compile(r"^\s*我的\s*$")).click()
    phone.locator("#cb-nav").get_by_role("link", name="我的党校").click()
    expect(phone).to_have_url(f"{base}/school/me/")
    card = phone.locator(f"[data-today-session='{offline.pk}']")
    expect(card).to_contain_text("党的基本理论")
    mine = phone.locator(f"[data-enrolment='{enrolment.pk}']")
    expect(mine).to_contain_text(CLASS_TITLE)
    expect(mine).to_contain_text("0.0 / 3.0")
    _fits_phone(phone)
    _shot(phone, "school-01-my-phone")
    card.get_by_role("link", name="去签到").click()
    expect(phone).to_have_url(f"{base}/school/sessions/{offline.pk}/")
    box = phone.locator("#checkin-box")
    expect(box).to_contain_text("输入班主任屏幕上的 6 位签到码")
    _fits_phone(phone)
    box.locator("input[name=code]").fill(offline.checkin_code)
    box.get_by_role("button", name="签到").click()
    result = phone.locator("#checkin-result")
    expect(result).to_contain_text("签到成功")
    expect(result).to_contain_text("党的基本理论")
    expect(result).to_contain_text("获得 2.0 学时")
    _fits_phone(phone)
    _shot(phone, "school-02-checked-in-phone")
    assert Attendance.objects.filter(session=offline, enrolment=enrolment, method="code").count() == 1
    phone.get_by_role("link", name="返回我的党校").click()
    expect(card.locator(".alert-success")).to_contain_text("已签到")
    expect(mine).to_contain_text("2.0 / 3.0")
    expect(mine.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "66")

    # --- 2. the online course: the article page's heartbeats complete it --------------------------
    beat_path = f"/learning/resources/{article.pk}/beat/"

    def is_beat(r):
        return r.url.endswith(beat_path) and r.request.method == "POST"

    cont = phone.locator("section", has=phone.get_by_role("heading", name="继续学习"))
    expect(cont).to_contain_text(ARTICLE)
    expect(cont).to_contain_text("1.0 学时")
    with phone.expect_response(is_beat) as first:
        cont.get_by_role("link", name="继续学习").click()
    assert first.value.status == 200 and first.value.json()["seconds"] == 0, first.value.json()
    expect(phone.locator("h1")).to_have_text(ARTICLE)
    done = phone.locator('#study-status [data-field="done"]')
    expect(done).to_be_hidden()
    _fits_phone(phone)
    # 15 s go by: on the server (the previous beat moves 15 s into the past) and in the page.
    moved = StudyProgress.objects.filter(person=person, resource=article).update(
        last_beat_at=F("last_beat_at") - datetime.timedelta(seconds=15)
    )
    assert moved == 1
    with phone.expect_response(is_beat) as second:
        phone.clock.fast_forward("00:15")
    data = second.value.json()
    assert second.value.status == 200 and data["seconds"] >= READ_SECONDS and data["completed"] is True, data
    expect(done).to_contain_text("已完成")
    _shot(phone, "school-03-course-done-phone")

    phone.goto(f"{base}/school/sessions/{online.pk}/")
    item = phone.locator("[data-item]", has_text=ARTICLE)
    expect(item.locator(".badge")).to_have_text("已完成")
    expect(phone.locator("main")).to_contain_text("我的学时：3.0 / 3.0")
    _fits_phone(phone)
    phone.goto(f"{base}/school/me/")
    expect(mine).to_contain_text("3.0 / 3.0")
    expect(mine.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(mine.locator(".progress-bar")).to_have_text("100%")
    _shot(phone, "school-04-hours-done-phone")

    # --- 3. the final exam from 我的党校, answered on learning's pages -------------------------------
    mine.get_by_role("button", name="参加结业考试").click()
    expect(phone).to_have_url(re.compile(r"/learning/attempts/\d+/$"))
    expect(phone.locator("#countdown")).to_contain_text("剩余")
    for stem, options, right in QUESTIONS:
        question = phone.locator("fieldset", has_text=stem)
        question.locator("label", has_text=options[right]).click()
        expect(question.locator("input:checked")).to_have_count(1)
        expect(question.locator("[id^=saved-]")).not_to_be_empty()  # saved by HTMX on change
    _fits_phone(phone)
    _shot(phone, "school-05-exam-phone")
    phone.get_by_role("button", name="交卷").click()
    expect(phone).to_have_url(re.compile(r"/learning/attempts/\d+/result/$"))
    expect(phone.locator("main .display-5")).to_have_text("10.0")
    expect(phone.locator("main")).to_contain_text("合格")
    expect(phone.locator("main")).to_contain_text("答对 2/2 题")
    _fits_phone(phone)
    _shot(phone, "school-06-exam-passed-phone")
    enrolment.refresh_from_db()
    assert enrolment.exam_score == Decimal("10")
    phone.goto(f"{base}/school/classes/{tc.pk}/")
    expect(phone.locator("main")).to_contain_text("已获 3.0 / 3.0 学时 · 考试 10.0 分")

    # --- the head teacher (desktop) finalizes the class --------------------------------------------
    page.on("dialog", lambda dialog: dialog.accept())
    login_via_form(page, base, head_teacher.username, PASSWORD)
    page.goto(f"{base}/school/classes/{tc.pk}/results/")
    student_row = page.locator("#result-rows .list-group-item", has_text=STUDENT)
    expect(student_row).to_contain_text("学时 3/3")
    expect(student_row).to_contain_text("考试 10/6")
    page.get_by_role("button", name="办理结业").click()
    expect(page.locator(".alert-success")).to_contain_text("结业 1 人，未结业 0 人，颁发证书 1 份")
    expect(student_row).to_contain_text("考核合格")
    _shot(page, "school-07-finalized-desktop")
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.PASSED
    cert = Certificate.objects.get(enrolment=enrolment)

    # --- the student: the certificate from 我的党校, then its verification link, logged out ----------
    phone.goto(f"{base}/school/me/")
    expect(mine).to_contain_text("已结业")
    expect(mine).to_contain_text("结业考试：10.0 分")
    mine.get_by_role("link", name="结业证书").click()
    expect(phone).to_have_url(f"{base}/school/certificates/{cert.pk}/")
    expect(phone.locator("h1")).to_have_text("结业证书")
    expect(phone.locator("main")).to_contain_text(f"证书编号：{cert.serial}")
    expect(phone.locator("[aria-label='核验二维码'] svg")).to_be_visible()
    _fits_phone(phone)
    _shot(phone, "school-08-certificate-phone")
    link = phone.locator("main a", has_text="/school/verify/")
    verify_url = link.get_attribute("href")
    assert verify_url.endswith(f"/school/verify/{cert.code}/"), verify_url

    visitor = new_page(browser, phone=True)  # no login, own cookies
    try:
        visitor.goto(verify_url)
        expect(visitor.locator("h1")).to_have_text("结业证书核验")
        expect(visitor.locator(".badge")).to_contain_text("有效")
        details = visitor.locator("dl")
        expect(details).to_contain_text("李**")
        expect(details).not_to_contain_text(STUDENT)
        expect(details).to_contain_text(CLASS_TITLE)
        expect(details).to_contain_text(cert.serial)
        expect(details).to_contain_text(world.college_a.name)
        _fits_phone(visitor)
        _shot(visitor, "school-09-verify-logged-out-phone")
    finally:
        visitor.context.close()
    assert Enrolment.objects.get(pk=enrolment.pk).hours == Decimal("3")
