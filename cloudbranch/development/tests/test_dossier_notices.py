"""Public notices: working-day periods over the holiday calendar, preconditions, visibility."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.development import notices
from cloudbranch.development.choices import ContactRole, NoticeKind
from cloudbranch.development.models import CalendarDay, PublicNotice
from cloudbranch.development.tests.factories import add_contact, make_case
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

pytestmark = pytest.mark.django_db
D = datetime.date


# --- the period ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "workdays", "end"),
    [
        # National Day 2026: Sep 28-30 count (3), Oct 1-7 off (1, 2, 5, 6, 7 holidays; 3, 4 weekend),
        # Oct 8 (4), Oct 9 (5).
        (D(2026, 9, 28), 5, D(2026, 10, 9)),
        # Oct 10 2026 is a Saturday worked in exchange: it counts.
        (D(2026, 10, 8), 3, D(2026, 10, 10)),
        (D(2026, 10, 9), 2, D(2026, 10, 10)),
        (D(2026, 10, 10), 1, D(2026, 10, 10)),
        # A holiday start does not count: Oct 1 → Oct 8, 9, 10.
        (D(2026, 10, 1), 3, D(2026, 10, 10)),
        # Plain weekends: Thu 12 Nov, Fri 13, Mon 16, Tue 17, Wed 18.
        (D(2026, 11, 12), 5, D(2026, 11, 18)),
        # Starting on a Saturday: Mon 16 … Fri 20.
        (D(2026, 11, 14), 5, D(2026, 11, 20)),
        # Mid-Autumn Festival, Fri 25 Sep 2026: Thu 24, then Mon 28.
        (D(2026, 9, 24), 2, D(2026, 9, 28)),
        # Spring Festival 2026: Thu 12 Feb, Fri 13, Sat 14 (worked), Feb 16-20 and 23 off, Tue 24, Wed 25.
        (D(2026, 2, 12), 5, D(2026, 2, 25)),
        (D(2026, 11, 16), 1, D(2026, 11, 16)),
    ],
)
def test_notice_ends_on(start, workdays, end):
    assert notices.notice_ends_on(start, workdays) == end


def test_calendar_rows_from_the_migration_are_present():
    rows = dict(
        CalendarDay.objects.filter(date__range=(D(2026, 10, 1), D(2026, 10, 10))).values_list("date", "is_workday")
    )
    assert rows == {
        D(2026, 10, 1): False,
        D(2026, 10, 2): False,
        D(2026, 10, 5): False,
        D(2026, 10, 6): False,
        D(2026, 10, 7): False,
        D(2026, 10, 10): True,
    }


# --- creating notices ---------------------------------------------------------------------


@pytest.fixture
def candidate_case(world):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="branch_review")
    case.person.ethnicity = "汉族"
    case.person.education = "本科在读"
    case.person.save(update_fields=["ethnicity", "education"])
    add_contact(case, ContactRole.SPONSOR, person=PersonFactory(unit=world.branch_a1, name="联系人甲"))
    add_contact(case, ContactRole.INTRODUCER, person=PersonFactory(unit=world.branch_a1, name="介绍人乙"))
    return case


def create(world, case, user="secretary1", **kw):
    kw.setdefault("kind", NoticeKind.CANDIDATE)
    return notices.notice_create(actor=world.users[user], case_id=case.pk, **kw)


def test_candidate_notice_defaults_and_text(world, candidate_case):
    case = candidate_case
    notice = create(world, case, starts_on=D(2026, 9, 28), contact="组织员办公室 8888")
    assert notice.workdays == case.rule_set.public_notice_workdays == 5
    assert notice.ends_on == D(2026, 10, 9)
    text = notice.text
    person = case.person
    for expected in (
        f"关于{person.name}同志拟发展为中共预备党员的公示",
        f"姓名：{person.name}",
        "性别：男",
        f"出生年月：{person.birth_date.year}年{person.birth_date.month}月",
        "民族：汉族",
        "学历：本科在读",
        f"所在支部：{world.branch_a1.name}",
        "申请入党时间：2022年3月1日",
        "确定入党积极分子时间：2022年4月30日",  # +60 days
        "确定发展对象时间：2023年5月5日",  # +430 days
        "培养联系人：联系人甲",
        "入党介绍人：介绍人乙",
        "公示期：2026年9月28日至2026年10月9日（5 个工作日）",
        "组织员办公室 8888",
        world.college_a.name,
    ):
        assert expected in text, expected
    assert person.id_number_masked not in text
    assert person.reveal_id_number() not in text
    assert person.phone not in text
    event = AuditEvent.objects.get(action="development.notice.create", target_id=str(notice.pk))
    assert event.changes["ends_on"] == {"new": "2026-10-09"}


def test_default_start_is_today_and_workdays_are_editable(world, candidate_case):
    from django.utils import timezone

    notice = create(world, candidate_case, workdays=3, text="自拟公示内容")
    assert notice.starts_on == timezone.localdate()
    assert notice.workdays == 3
    assert notice.ends_on == notices.notice_ends_on(notice.starts_on, 3)
    assert notice.text == "自拟公示内容"


@pytest.mark.parametrize("workdays", [0, -1, 31])
def test_workdays_out_of_range(world, candidate_case, workdays):
    with pytest.raises(DomainError, match="公示期须为 1 至 30 个工作日"):
        create(world, candidate_case, workdays=workdays)
    assert not PublicNotice.objects.exists()


def test_candidate_notice_needs_branch_review(world):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="training")
    with pytest.raises(ConflictError, match="支部委员会审查"):
        create(world, case)
    done = make_case(actor=world.users["admin"], unit=world.branch_a2, upto="pre_review")
    with pytest.raises(ConflictError, match="已经预审"):
        notices.notice_create(actor=world.users["secretary2"], case_id=done.pk, kind=NoticeKind.CANDIDATE)
    assert not PublicNotice.objects.exists()


def test_no_second_running_notice(world, candidate_case):
    first = create(world, candidate_case, starts_on=D(2026, 9, 28))
    with pytest.raises(ConflictError, match="已有公示"):
        create(world, candidate_case, starts_on=D(2026, 10, 9))
    second = create(world, candidate_case, starts_on=D(2026, 10, 12))  # after the first ended
    assert second.pk != first.pk


def test_confirmation_notice_near_the_end_of_probation(world):
    case = make_case(actor=world.users["admin"], unit=world.branch_a1, upto="oath")
    # Admitted 2023-08-23 (+540 days): probation ends 2024-08-23; notices from 2024-07-23.
    with pytest.raises(DomainError, match="最早 2024-07-23"):
        create(world, case, kind=NoticeKind.CONFIRMATION, starts_on=D(2024, 7, 22))
    notice = create(world, case, kind=NoticeKind.CONFIRMATION, starts_on=D(2024, 7, 23))
    assert "拟按期转为中共正式党员的公示" in notice.text
    assert "预备期至2024年8月23日期满" in notice.text
    with pytest.raises(ConflictError, match="只能为预备党员"):
        create(
            world,
            make_case(actor=world.users["admin"], unit=world.branch_a1, upto="branch_review"),
            kind=NoticeKind.CONFIRMATION,
        )


def test_notice_create_permissions(world, candidate_case):
    with pytest.raises(Http404):
        create(world, candidate_case, user="secretary2")
    with pytest.raises(Http404):
        create(world, candidate_case, user="member1")
    assert not PublicNotice.objects.exists()


def test_notice_update_records_objections(world, candidate_case):
    notice = create(world, candidate_case, starts_on=D(2026, 9, 28))
    notices.notice_update(actor=world.users["secretary1"], notice_id=notice.pk, objections="收到一条意见，已核实。")
    notice.refresh_from_db()
    assert notice.objections == "收到一条意见，已核实。"
    event = AuditEvent.objects.get(action="development.notice.update")
    assert event.changes == {"objections": {"old": "", "new": "收到一条意见，已核实。"}}
    with pytest.raises(DomainError):
        notices.notice_update(actor=world.users["secretary1"], notice_id=notice.pk, text="  ")
    # A member of the college sees the notice but may not edit it.
    viewer = UserFactory()
    PersonFactory(unit=world.branch_a2, user=viewer)
    with pytest.raises(PermissionDenied):
        notices.notice_update(actor=viewer, notice_id=notice.pk, objections="x")


# --- who sees notices ---------------------------------------------------------------------


def _person_user(unit):
    user = UserFactory()
    PersonFactory(unit=unit, user=user)
    return user


def test_board_visibility(world, candidate_case):
    notice = create(world, candidate_case, starts_on=D(2026, 11, 16))
    today = D(2026, 11, 20)
    same_college = _person_user(world.branch_a2)
    other_college = _person_user(world.branch_b1)
    no_person = UserFactory()
    committee = UserFactory()
    grant(committee, world.college_b, Role.COMMITTEE_SECRETARY)

    def board(user):
        return list(notices.notice_board(user, today=today))

    assert board(same_college) == [notice]
    assert board(world.users["member1"]) == [notice]
    assert board(world.users["secretary1"]) == [notice]
    assert board(world.users["admin"]) == [notice]
    assert board(other_college) == []
    assert board(no_person) == []
    assert board(committee) == []
    assert board(world.users["sysadmin"]) == []
    with pytest.raises(Http404):
        notices.access_notice(other_college, notice.pk)
    assert notices.access_notice(same_college, notice.pk) == notice
    # Old notices leave the board after 30 days but stay readable by link.
    assert list(notices.notice_board(same_college, today=notice.ends_on + datetime.timedelta(days=31))) == []
    assert notices.access_notice(same_college, notice.pk) == notice


# --- calendar -----------------------------------------------------------------------------


def test_calendar_add_and_delete(world):
    admin = world.users["admin"]
    day = notices.calendar_day_add(actor=admin, date=D(2027, 1, 1), is_workday=False, note="元旦")
    assert AuditEvent.objects.filter(action="development.calendar.add", target_id=str(day.pk)).exists()
    assert notices.notice_ends_on(D(2026, 12, 31), 2) == D(2027, 1, 4)
    with pytest.raises(ConflictError, match="已有设置"):
        notices.calendar_day_add(actor=admin, date=D(2027, 1, 1), is_workday=False)
    with pytest.raises(DomainError, match="本来就是休息日"):
        notices.calendar_day_add(actor=admin, date=D(2027, 1, 2), is_workday=False)
    with pytest.raises(DomainError, match="本来就是工作日"):
        notices.calendar_day_add(actor=admin, date=D(2027, 1, 4), is_workday=True)
    notices.calendar_day_delete(actor=admin, day_id=day.pk)
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
    assert AuditEvent.objects.filter(action="development.calendar.delete", target_id=str(day.pk)).exists()
    assert notices.notice_ends_on(D(2026, 12, 31), 2) == D(2027, 1, 1)


def test_calendar_is_for_the_root_administrator(world):
    committee = UserFactory()
    grant(committee, world.college_a, Role.COMMITTEE_SECRETARY)
    for user in (committee, world.users["secretary1"], world.users["member1"], world.users["sysadmin"]):
        with pytest.raises(PermissionDenied):
            notices.calendar_day_add(actor=user, date=D(2027, 1, 1), is_workday=False)
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
