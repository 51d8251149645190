"""Member development for the seeded demo tree (issue 6 item 9).

``seed_development(root, seed=..., today=..., now=..., creator=..., demo=...)`` reads the people
and units under ``root`` in a few queries, plans every development case in Python
(deterministic for a seed and a day) and writes the rows with ``bulk_create`` in batches:

* an open ``Case`` for every applicant, activist, candidate and probationary member, whose
  ``StepRecord`` rows agree with the person's stage dates and obey every rule of the rule set
  (talk within a month, activist one year before candidate with two half-yearly assessments,
  public notice before the pre-review, approval within three months of the vote, probation of
  twelve months...). Where a stored date breaks a rule (activist → candidate one day short of a
  year) the person's date is moved, so person and case agree. About 70 % of open cases are on
  time, 15 % have a step due within 30 days and 15 % are overdue; together they stop at every
  one of the 25 steps. The denormalized ``Case`` fields come from ``rules.evaluate``.
* a ``COMPLETED`` case (all 25 steps) for full members who joined in the last three years, so
  that average times per stage exist; one extended probation, one terminated case (the person
  goes back to 群众), a few voided records.
* the freshman funnel: more than 90 % of this year's undergraduate freshmen apply in September
  or October (open cases at steps 1–2); none of them is probationary.
* sponsors (one or two full members of the branch), two introducers, public notices
  (``rules.workdays_end`` with the ``CalendarDay`` overrides), quarterly thought reports (some
  missing, some with comments), transfers in every state with their approvals and one
  graduation batch, mobile members with activities and yearly reports, two lost-contact cases.

The demo login ``activist1`` (an activist of secretary1's branch) gets an on-time case with two
sponsors, one of them member1. Writes go straight through the models (demo data, not a user's
action), like ``life.py`` and ``fees_demo.py``; one audit row ``demo.seed.development`` holds the
counts.
"""

from __future__ import annotations

import datetime
import random
import time
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from cloudbranch.audit.services import audit_record
from cloudbranch.development import rules
from cloudbranch.development.choices import (
    ActivityKind,
    ApprovalDecision,
    BatchStatus,
    CaseStatus,
    ContactMethod,
    ContactRole,
    LostContactStatus,
    MobileReason,
    MobileStatus,
    NoticeKind,
    RecordStatus,
    ReportStatus,
    TerminationReason,
    TransferKind,
    TransferSide,
    TransferStatus,
)
from cloudbranch.development.models import (
    CalendarDay,
    Case,
    CaseContact,
    ContactAttempt,
    LostContact,
    MobileActivity,
    MobileRecord,
    MobileReport,
    PublicNotice,
    RuleSet,
    StepRecord,
    ThoughtReport,
    ThoughtReportComment,
    Transfer,
    TransferApproval,
    TransferBatch,
)
from cloudbranch.development.state import apply_state, rule_steps
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import PersonEventKind, PoliticalStatus, RosterStatus
from cloudbranch.people.models import CommitteeMembership, Person, PersonEvent

from .generator import academic_anchor, add_years

DEVELOPMENT_ACTION = "demo.seed.development"
BATCH_SIZE = 1000
FRESHMAN_SHARE = 0.95  # of this year's undergraduate freshmen who are 群众, the share who apply
CATEGORY_WEIGHTS = (("on_time", 0.60), ("due_soon", 0.22), ("overdue", 0.18))
VOTE = {"entitled": 10, "present": 9, "written": 0, "in_favour": 9, "against": 0, "abstain": 0}
RECOMMENDATIONS = ("党员推荐", "群团组织推优")
LATE_TALK = "申请人假期离校，返校后补谈"
LATE_APPROVAL = "党委会议因故推迟，经党委同意延长审批时间"
VOID_REASON = "日期录入错误，撤销后重新记录"
CASE_COLUMNS = (
    "person",
    "rule_set",
    "status",
    "stage",
    "applied_on",
    "last_step_number",
    "next_step_code",
    "next_due_on",
    "next_earliest_on",
    "activist_on",
    "candidate_on",
    "admitted_on",
    "confirmed_on",
    "extension_months",
    "extended_on",
    "extension_reason",
    "terminated_on",
    "termination_reason",
    "termination_note",
    "completed_on",
    "created_by",
    "created_at",
    "updated_at",
)
RECORD_COLUMNS = (
    "case",
    "step",
    "sequence",
    "occurred_on",
    "decided_by",
    "note",
    "late_reason",
    "data",
    "status",
    "void_reason",
    "voided_by",
    "voided_at",
    "recorded_by",
    "recorded_at",
)
CONTACT_COLUMNS = ("case", "person", "role", "started_on", "ended_on", "end_reason")
NOTICE_COLUMNS = (
    "case",
    "kind",
    "starts_on",
    "ends_on",
    "workdays",
    "text",
    "contact",
    "objections",
    "created_by",
    "created_at",
)
REPORT_COLUMNS = ("person", "case", "period_start", "title", "content", "status", "submitted_at")
STATUS_FIELDS = ("political_status", "applied_on", "activist_on", "candidate_on", "joined_on", "confirmed_on")
STATUS_LABELS = dict(PoliticalStatus.choices)
STATUS_MAX_STEP = {"applicant": 2, "activist": 6, "candidate": 16, "probationary": 23, "full": 25}
CITIES = (
    "上海市浦东新区",
    "深圳市南山区",
    "杭州市西湖区",
    "北京市海淀区",
    "广州市天河区",
    "成都市高新区",
    "苏州工业园区",
)
EXTERNAL_ORGS = (
    "中共上海市浦东新区委员会组织部",
    "中共深圳市南山区委员会组织部",
    "中共杭州市西湖区委员会组织部",
    "中共北京市海淀区委员会组织部",
)
REPORT_TOPICS = (
    "学习党的二十大精神的体会",
    "参加党课学习后的思想认识",
    "结合专业学习谈理想信念",
    "参加志愿服务活动的收获",
    "对照党员标准查找自身差距",
    "学习党史的认识和体会",
)
REPORT_BODY = (
    "敬爱的党组织：\n这一季度，我认真学习了党的理论，按时参加支部组织的学习活动。通过学习，我对党的性质和宗旨有了更深的认识。"
    "在学习和工作中，我努力以党员标准要求自己，积极帮助同学，主动承担班级工作。同时也认识到自己在理论学习的深度、"
    "联系实际等方面还有不足，今后将继续努力，请党组织考验。\n汇报人：{name}"
)
COMMENTS = (
    "汇报内容真实，体会较深，望继续加强理论学习。",
    "已阅。建议结合专业学习和社会实践谈具体认识。",
    "思想认识有提高，下一季度请重点谈谈在班级工作中的表现。",
)


def has_cases(root: OrgUnit) -> bool:
    return Case.objects.filter(person__unit__path__startswith=root.path).exists()


# --- what is read from the database ----------------------------------------------------------------


@dataclass
class P:
    id: int
    unit: int
    branch: int
    name: str
    birth: datetime.date
    staff_number: str
    category: str
    department: str
    status: str
    dates: dict
    is_mobile: bool
    lost: bool
    user: int | None
    phone: str


@dataclass
class World:
    root: OrgUnit
    units: dict[int, tuple]  # id → (code, name, kind, parent_id, path)
    people: list[P]
    by_id: dict[int, P]
    full_by_branch: dict[int, list[int]]
    secretaries: dict[int, int]  # branch id → secretary's user id
    college_secretaries: dict[int, int]  # college id → user id
    mobile_branches: list[int]
    showcase: int | None
    sibling: int | None
    college: int | None
    users: dict[str, int]  # demo username → user id
    account_person: dict[str, int]  # demo username → person id
    seated: set[int] = field(default_factory=set)  # people holding a committee seat


def load_world(root: OrgUnit, *, demo: dict[str, OrgUnit]) -> World:
    units = {
        uid: (code, name, kind, parent_id, path)
        for uid, code, name, kind, parent_id, path in OrgUnit.objects.filter(path__startswith=root.path).values_list(
            "id", "code", "name", "kind", "parent_id", "path"
        )
    }

    def branch_of(unit_id: int) -> int:
        kind, parent_id = units[unit_id][2], units[unit_id][3]
        return parent_id if kind == UnitKind.GROUP and parent_id in units else unit_id

    people = []
    full_by_branch: dict[int, list[int]] = defaultdict(list)
    fields = (
        "id",
        "unit_id",
        "name",
        "birth_date",
        "staff_number",
        "category",
        "department",
        "political_status",
        "applied_on",
        "activist_on",
        "candidate_on",
        "joined_on",
        "confirmed_on",
        "is_mobile",
        "is_lost_contact",
        "user_id",
        "phone",
    )
    rows = (
        Person.objects.filter(unit__path__startswith=root.path, roster_status=RosterStatus.ACTIVE)
        .order_by("id")
        .values_list(*fields)
    )
    for pid, unit_id, name, birth, staff, cat, dept, status, a, v, c, j, f, mobile, lost, user, phone in rows:
        p = P(
            id=pid,
            unit=unit_id,
            branch=branch_of(unit_id),
            name=name,
            birth=birth,
            staff_number=staff,
            category=cat,
            department=dept,
            status=status,
            dates={"applied_on": a, "activist_on": v, "candidate_on": c, "joined_on": j, "confirmed_on": f},
            is_mobile=mobile,
            lost=lost,
            user=user,
            phone=phone,
        )
        people.append(p)
        if status == PoliticalStatus.FULL:
            full_by_branch[p.branch].append(pid)
    secretaries: dict[int, int] = {}
    college_secretaries: dict[int, int] = {}
    for unit_id, user_id, role in (
        RoleAssignment.objects.active()
        .filter(role__in=(Role.BRANCH_SECRETARY, Role.COMMITTEE_SECRETARY), unit_id__in=list(units))
        .order_by("id")
        .values_list("unit_id", "user_id", "role")
    ):
        target = secretaries if role == Role.BRANCH_SECRETARY else college_secretaries
        target.setdefault(unit_id, user_id)
    names = ("admin", "college1", "secretary1", "secretary2", "member1", "activist1")
    users = dict(get_user_model().objects.filter(username__in=names).values_list("username", "id"))
    by_user = {p.user: p.id for p in people if p.user}
    return World(
        root=root,
        units=units,
        people=people,
        by_id={p.id: p for p in people},
        full_by_branch=dict(full_by_branch),
        secretaries=secretaries,
        college_secretaries=college_secretaries,
        mobile_branches=[uid for uid, u in units.items() if u[2] == UnitKind.MOBILE_BRANCH],
        showcase=demo["branch1"].pk if "branch1" in demo else None,
        sibling=demo["branch2"].pk if "branch2" in demo else None,
        college=demo["college"].pk if "college" in demo else None,
        users=users,
        account_person={name: by_user[uid] for name, uid in users.items() if uid in by_user},
        seated=set(
            CommitteeMembership.objects.filter(unit__path__startswith=root.path, ended_on__isnull=True).values_list(
                "person_id", flat=True
            )
        ),
    )


# --- plans -----------------------------------------------------------------------------------------


@dataclass
class Rec:
    """A planned record; ``step`` and ``occurred_on`` are what ``rules.evaluate`` reads."""

    step: object
    occurred_on: datetime.date
    data: dict = field(default_factory=dict)
    late_reason: str = ""
    sequence: int = 1
    voided: bool = False

    @property
    def code(self) -> str:
        return self.step.code


@dataclass
class CasePlan:
    person: P
    applied_on: datetime.date
    records: list[Rec]
    status: str = CaseStatus.OPEN
    contacts: list[tuple[int, str, datetime.date, datetime.date | None]] = field(default_factory=list)
    notices: list[tuple[str, datetime.date, datetime.date]] = field(default_factory=list)
    extension: tuple[int, datetime.date, str] | None = None
    terminated: tuple[datetime.date, str, str] | None = None
    completed_on: datetime.date | None = None
    state: rules.CaseState | None = None
    category: str = ""


def _day(d: datetime.date, n: int) -> datetime.date:
    return d + datetime.timedelta(days=n)


class Planner:
    def __init__(
        self,
        world: World,
        *,
        seed: int,
        today: datetime.date,
        rule_set: RuleSet,
        overrides: dict,
        until: datetime.date | None = None,
    ):
        self.world, self.today, self.rule_set, self.until = world, today, rule_set, until
        self.rng = random.Random(seed * 7919 + 6)
        self.steps = rule_steps(rule_set.pk)
        self.step = {s.code: s for s in self.steps}
        self.overrides = overrides
        self.anchor = academic_anchor(today)
        self.person_updates: dict[int, dict] = {}  # person id → changed fields (full new values)
        self.status_events: list[tuple[int, str, str, datetime.date, str]] = []  # (person, old, new, on, why)
        self.voided = 0
        self.turns: dict[str, int] = {}

    # -- helpers --
    def covers(self, applied_on: datetime.date | None) -> bool:
        """Whether an application on that day falls under this rule set (and not a later one)."""
        if applied_on is None or applied_on < self.rule_set.valid_from:
            return False
        return self.until is None or applied_on < self.until

    def cycle(self, key: str, values: tuple):
        """The next of ``values`` in turn: every stop is represented even in a small tree."""
        n = self.turns[key] = self.turns.get(key, -1) + 1
        return values[n % len(values)]

    def r(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def rec(self, code: str, on: datetime.date, data: dict | None = None, late: str = "") -> Rec:
        return Rec(step=self.step[code], occurred_on=on, data=dict(data or {}), late_reason=late)

    def notice_end(self, start: datetime.date) -> datetime.date:
        return rules.workdays_end(start, self.rule_set.public_notice_workdays, self.overrides)

    def category(self) -> str:
        roll, acc = self.rng.random(), 0.0
        for name, weight in CATEGORY_WEIGHTS:
            acc += weight
            if roll < acc:
                return name
        return "on_time"

    # -- segments of a timeline --
    def seg_application(self, a: datetime.date, v: datetime.date | None) -> list[Rec]:
        out = [self.rec("application", a)]
        room = (v - a).days if v else 28
        late = v is not None and room > 40 and self.rng.random() < 0.04
        if late:  # a talk held late, with the reason written down
            talk = _day(rules.add_months(a, 1), self.r(1, min(10, room - 32)))
            out.append(self.rec("talk", talk, late=LATE_TALK))
        else:
            out.append(self.rec("talk", _day(a, self.r(min(1, room), max(min(1, room), min(28, room))))))
        return out

    def seg_activist(self, v: datetime.date, c: datetime.date | None, until: datetime.date) -> list[Rec]:
        out = [self.rec("activist", v, {"recommendation": self.rng.choice(RECOMMENDATIONS)})]
        out.append(self.rec("activist_filing", _day(v, self.r(2, 14))))
        sponsors = _day(v, self.r(0, 10))
        out.append(self.rec("sponsors", sponsors))
        prev, k = v, 0
        end = c if c else until
        while True:
            due = rules.add_months(prev, 6)
            on = max(_day(due, -self.r(0, 20)), _day(sponsors, 1), _day(prev, 1))
            if on > end:
                break
            k += 1
            out.append(self.rec("activist_assessment", on, {"result": "合格"}))
            out[-1].sequence = k
            prev = on
        return out

    def seg_candidate(
        self, c: datetime.date, j: datetime.date | None, stretch: float = 1.0
    ) -> tuple[list[Rec], datetime.date, tuple[datetime.date, datetime.date]]:
        """Steps 7–14 from the candidate date; returns records, the admission-form date and the notice."""
        budget = int(self.r(20, 45) * stretch)
        while True:
            br = _day(c, max(4, budget))
            ns = _day(br, self.r(1, 3))
            ne = self.notice_end(ns)
            pre = _day(ne, self.r(1, 6))
            form = _day(pre, self.r(1, 5))
            if j is None or form < j or budget <= 4:
                break
            budget = budget * 2 // 3 if budget > 12 else budget - 2
        span = (br - c).days
        out = [self.rec("candidate", c)]
        out.append(self.rec("candidate_filing", _day(c, min(span, self.r(2, 10)))))
        out.append(self.rec("introducers", _day(c, min(span, self.r(0, 10)))))
        out.append(self.rec("political_review", _day(c, min(span, self.r(span // 3, span))), {"conclusion": "passed"}))
        out.append(
            self.rec("training", _day(c, min(span, self.r(span // 4, span))), {"days": 3, "hours": self.r(24, 32)})
        )
        out.append(self.rec("branch_review", br))
        out.append(self.rec("pre_review", pre))
        out.append(self.rec("admission_form", form))
        return out, form, (ns, ne)

    def seg_admission(self, j: datetime.date, until: datetime.date, *, late_ok: bool) -> list[Rec]:
        """Vote (the joining date) → approval and the first months of probation, up to ``until``."""
        out = [self.rec("admission_vote", j, VOTE)]
        late = late_ok and self.rng.random() < 0.03
        approval = _day(rules.add_months(j, 3), self.r(5, 40)) if late else _day(j, self.r(12, 75))
        approval = min(approval, until)
        late = approval > rules.add_months(j, 3)
        talk = _day(j, min((approval - j).days, self.r(3, 15)))
        out.append(self.rec("committee_talk", talk))
        out.append(self.rec("approval", approval, {"decision": "approved"}, late=LATE_APPROVAL if late else ""))
        out.append(self.rec("approval_filing", _day(approval, self.r(3, 15))))
        group = _day(approval, self.r(0, 10))
        out.append(self.rec("assign_group", group))
        out.append(self.rec("oath", _day(approval, self.r(3, 30))))
        return out

    def seg_probation(
        self, approval: datetime.date, group: datetime.date, j: datetime.date, until: datetime.date, *, full: bool
    ) -> list[Rec]:
        p_end = rules.add_months(j, self.rule_set.probation_months)
        app = _day(p_end, -self.r(0, 25))
        out, prev, k = [], approval, 0
        while True:
            on = max(_day(rules.add_months(prev, 6), -self.r(0, 20)), _day(group, 1), _day(prev, 1))
            if on >= app or (not full and on > until):
                break
            k += 1
            out.append(self.rec("probation_assessment", on, {"result": "合格"}))
            out[-1].sequence = k
            prev = on
        if k == 0 and (full or app <= until):  # a short probation: one assessment before the application
            on = _day(group, 1)
            out.append(self.rec("probation_assessment", on, {"result": "合格"}))
        if out:
            app = max(app, out[-1].occurred_on)
        vote = _day(p_end, self.r(0, 20))
        decision = _day(vote, self.r(10, 60))
        archive = _day(decision, self.r(5, 30))
        if full:
            vote = max(p_end, min(vote, self.today))
            app = min(app, vote)
            decision = max(vote, min(decision, self.today))
            archive = max(decision, min(archive, self.today))
        out.append(self.rec("confirmation_application", app))
        out.append(self.rec("confirmation_vote", vote, VOTE))
        out.append(self.rec("confirmation_approval", decision, {"decision": "approved"}))
        out.append(self.rec("archive", archive))
        return out

    # -- dates a person must have for the rules --
    def fix_dates(self, p: P) -> dict:
        d = dict(p.dates)
        v, c = d.get("activist_on"), d.get("candidate_on")
        if v and c and rules.add_months(v, 12) > c:  # one day short of a year: move the activist date
            d["activist_on"] = rules.add_months(c, -12)
        j = d.get("joined_on")
        if p.status == PoliticalStatus.FULL and j:
            d["confirmed_on"] = rules.add_months(j, self.rule_set.probation_months)
        return d

    def due_soon(self, recs: list[Rec], code: str) -> None:
        """Move the latest half-yearly assessment back so that the next one falls due within 30 days."""
        rows = [x for x in recs if x.code == code]
        if not rows or max(x.occurred_on for x in recs) != rows[-1].occurred_on:
            return
        target = rules.add_months(_day(self.today, self.r(2, 28)), -6)
        floor = rows[-2].occurred_on if len(rows) > 1 else max(x.occurred_on for x in recs if x is not rows[-1])
        if floor < target < rows[-1].occurred_on:
            rows[-1].occurred_on = target

    def note_dates(self, p: P, dates: dict, status: str | None = None) -> None:
        status = status or p.status
        if dates != p.dates or status != p.status:
            self.person_updates[p.id] = {"political_status": status, **dates}

    # -- one case --
    def plan_open(self, p: P, *, category: str | None = None, freshman: bool = False) -> CasePlan | None:
        d = self.fix_dates(p)
        a, v, c, j = d["applied_on"], d["activist_on"], d["candidate_on"], d["joined_on"]
        if not self.covers(a) or rules.age_on(p.birth, a) < 18:
            return None
        today = self.today
        cat = category or self.category()
        recs: list[Rec] = []
        notice = None
        if p.status == PoliticalStatus.APPLICANT:
            if not freshman and cat == "due_soon" and rules.add_months(a, 1) < today and self.rng.random() < 0.6:
                a = d["applied_on"] = _day(today, -self.r(0, 27))  # a new application, the talk still ahead
            recs = self.seg_application(a, None)
            talk_due = rules.add_months(a, 1)
            if recs[1].occurred_on > today or cat == "overdue" or (cat == "due_soon" and talk_due >= today):
                recs = recs[:1]
        elif p.status == PoliticalStatus.ACTIVIST:
            recs = self.seg_application(a, v) + self.seg_activist(v, None, today)
            recs = [x for x in recs if x.occurred_on <= today]
            assessments = [x for x in recs if x.code == "activist_assessment"]
            account = p.id == self.world.account_person.get("activist1")
            stop = self.cycle("activist", (3, 4, 99, 99)) if not assessments and not account else 99
            if stop < 99:  # sponsors (and perhaps the filing) not recorded yet
                recs = [x for x in recs if x.step.number <= stop]
            elif cat == "overdue" and assessments:
                recs.remove(assessments[-1])
            elif cat == "due_soon":
                self.due_soon(recs, "activist_assessment")
        elif p.status == PoliticalStatus.CANDIDATE:
            head = self.seg_application(a, v) + self.seg_activist(v, c, c)
            mid, form, notice = self.seg_candidate(c, None, self.rng.uniform(1.0, 3.0))
            vote = None
            if cat == "on_time" and self.rng.random() < 0.25:
                lo = max(_day(form, 1), _day(today, -55))
                vote = _day(lo, self.r(0, (today - lo).days)) if lo <= today else None
            elif cat == "due_soon":
                vote = _day(today, -self.r(62, 88))
            elif cat == "overdue":
                vote = _day(today, -self.r(95, 160))
            if vote is not None and vote > form and form <= today:
                mid.append(self.rec("admission_vote", vote, VOTE))
                talk = _day(vote, self.r(3, 15))
                if talk <= today and self.rng.random() < 0.7:
                    mid.append(self.rec("committee_talk", talk))
            else:  # stop somewhere between the candidate and the admission form
                stop = self.cycle("candidate", (7, 8, 9, 10, 11, 12, 13, 14))
                mid = [x for x in mid if x.step.number <= stop]
            recs = [x for x in head + mid if x.occurred_on <= today]
        elif p.status == PoliticalStatus.PROBATIONARY:
            head = self.seg_application(a, v) + self.seg_activist(v, c, c)
            mid, _form, notice = self.seg_candidate(c, j)
            adm = self.seg_admission(j, today, late_ok=False)
            approval = next(x for x in adm if x.code == "approval").occurred_on
            group = next(x for x in adm if x.code == "assign_group").occurred_on
            tail = self.seg_probation(approval, group, j, today, full=False)
            tail = [x for x in tail if x.code not in ("confirmation_approval", "archive")]
            recs = [x for x in head + mid + adm + tail if x.occurred_on <= today]
            last = max(x.step.number for x in recs)
            stop = self.cycle("probationary", (17, 18, 19, 20, 99, 99))
            if stop < last:  # filing, group or oath still to be recorded
                recs = [x for x in recs if x.step.number <= stop]
            elif cat == "overdue" and recs[-1].code in (
                "probation_assessment",
                "confirmation_application",
                "confirmation_vote",
            ):
                recs.pop()
            elif cat == "due_soon":
                self.due_soon(recs, "probation_assessment")
        else:
            return None
        recs.sort(key=lambda x: (x.occurred_on, x.step.number))
        plan = CasePlan(person=p, applied_on=a, records=recs, category=cat)
        if notice and any(x.code == "branch_review" for x in recs):
            plan.notices.append((NoticeKind.CANDIDATE, *notice))
        self.note_dates(p, d)
        return plan

    def plan_completed(self, p: P, *, upto_archive: bool = True) -> CasePlan | None:
        d = self.fix_dates(p)
        a, v, c, j = d["applied_on"], d["activist_on"], d["candidate_on"], d["joined_on"]
        if None in (a, v, c, j) or not self.covers(a) or rules.age_on(p.birth, a) < 18:
            return None
        p_end = d["confirmed_on"]
        if p_end > _day(self.today, -3):
            return None
        head = self.seg_application(a, v) + self.seg_activist(v, c, c)
        mid, _form, notice = self.seg_candidate(c, j)
        adm = self.seg_admission(j, self.today, late_ok=True)
        approval = next(x for x in adm if x.code == "approval").occurred_on
        group = next(x for x in adm if x.code == "assign_group").occurred_on
        tail = self.seg_probation(approval, group, j, self.today, full=True)
        recs = head + mid + adm + tail
        recent = (self.today - p_end).days < 20
        plan = CasePlan(person=p, applied_on=a, records=recs, category="on_time")
        if recent or not upto_archive:
            plan.records = [x for x in recs if x.code != "archive"]
        else:
            plan.status = CaseStatus.COMPLETED
            plan.completed_on = p_end
        plan.notices.append((NoticeKind.CANDIDATE, *notice))
        vote = next(x for x in tail if x.code == "confirmation_vote").occurred_on
        app = next(x for x in tail if x.code == "confirmation_application").occurred_on
        ns = _day(app, 1)
        if self.notice_end(ns) < vote:
            plan.notices.append((NoticeKind.CONFIRMATION, ns, self.notice_end(ns)))
        self.note_dates(p, d)
        return plan

    def plan_freshman(self, p: P, *, start: datetime.date, end: datetime.date) -> CasePlan | None:
        """A freshman who applies in September or October of the entry year (age 18 on the day)."""
        a = _day(start, self.r(0, max(0, (end - start).days)))
        if rules.age_on(p.birth, a) < 18:
            a = add_years(p.birth, 18) + datetime.timedelta(days=1)
            if a > end:
                return None
        dates = {"applied_on": a, "activist_on": None, "candidate_on": None, "joined_on": None, "confirmed_on": None}
        if p.status != PoliticalStatus.APPLICANT:
            self.status_events.append((p.id, p.status, PoliticalStatus.APPLICANT, a, "freshman"))
        self.person_updates[p.id] = {"political_status": PoliticalStatus.APPLICANT, **dates}
        p.status, p.dates = PoliticalStatus.APPLICANT, dates
        return self.plan_open(p, freshman=True)

    # -- special cases --
    def shift_back(self, p: P, months: int) -> bool:
        """Move a person's stage dates ``months`` earlier (for the extended probation)."""
        d = {k: (rules.add_months(v, -months) if v else v) for k, v in p.dates.items()}
        if not self.covers(d["applied_on"]) or rules.age_on(p.birth, d["applied_on"]) < 18:
            return False
        p.dates = d
        self.person_updates[p.id] = {"political_status": p.status, **d}
        return True

    def plan_extended(self, p: P) -> CasePlan | None:
        """Probation extended by six months at the confirmation vote; still in the extension."""
        j = p.dates["joined_on"]
        target = rules.add_months(self.today, -14)
        months = (j.year - target.year) * 12 + j.month - target.month
        if months > 0 and not self.shift_back(p, months):
            return None
        d = self.fix_dates(p)
        a, v, c, j = d["applied_on"], d["activist_on"], d["candidate_on"], d["joined_on"]
        p_end = rules.add_months(j, self.rule_set.probation_months)
        if p_end >= _day(self.today, -25):
            return None
        head = self.seg_application(a, v) + self.seg_activist(v, c, c)
        mid, _form, notice = self.seg_candidate(c, j)
        adm = self.seg_admission(j, self.today, late_ok=False)
        approval = next(x for x in adm if x.code == "approval").occurred_on
        group = next(x for x in adm if x.code == "assign_group").occurred_on
        tail = self.seg_probation(approval, group, j, self.today, full=True)
        vote = next(x for x in tail if x.code == "confirmation_vote")
        vote.occurred_on = min(vote.occurred_on, _day(self.today, -20))
        vote.data = {**VOTE, "result": "extend"}
        app = next(x for x in tail if x.code == "confirmation_application")
        app.occurred_on = min(app.occurred_on, vote.occurred_on)
        tail = [x for x in tail if x.code in ("probation_assessment", "confirmation_application", "confirmation_vote")]
        tail = [x for x in tail if x.occurred_on <= vote.occurred_on]
        extended_on = vote.occurred_on
        # Assessments go on during the extension.
        prev = max(x.occurred_on for x in tail if x.code == "probation_assessment")
        seq = sum(1 for x in tail if x.code == "probation_assessment")
        nxt = _day(rules.add_months(prev, 6), -self.r(0, 20))
        if _day(extended_on, 1) <= nxt <= self.today:
            seq += 1
            tail.append(self.rec("probation_assessment", nxt, {"result": "合格"}))
            tail[-1].sequence = seq
        plan = CasePlan(person=p, applied_on=a, records=head + mid + adm + tail, category="extended")
        plan.extension = (
            6,
            extended_on,
            "预备期内理论学习和支部活动参加不够积极，经支部大会讨论决定延长预备期六个月，继续考察。",
        )
        plan.notices.append((NoticeKind.CANDIDATE, *notice))
        self.note_dates(p, d)
        return plan

    def plan_terminated(self, p: P) -> CasePlan | None:
        plan = self.plan_open(p, category="on_time")
        if plan is None:
            return None
        last = max(x.occurred_on for x in plan.records)
        on = min(self.today, _day(last, self.r(20, 60)))
        plan.status = CaseStatus.TERMINATED
        plan.terminated = (
            on,
            TerminationReason.DISQUALIFIED_ACTIVIST,
            "培养考察期间多次无故不参加党课学习和支部活动，经支部委员会研究决定取消其入党积极分子资格，报上级党委备案。",
        )
        plan.category = "terminated"
        empty = dict.fromkeys(("applied_on", "activist_on", "candidate_on", "joined_on", "confirmed_on"))
        self.person_updates[p.id] = {"political_status": PoliticalStatus.MASSES, **empty}
        self.status_events.append((p.id, p.status, PoliticalStatus.MASSES, on, "terminated"))
        return plan

    def add_voided(self, plan: CasePlan) -> None:
        """A wrong record voided and recorded again (the valid one stays)."""
        for x in plan.records:
            if x.code in ("talk", "activist_filing", "political_review", "training") and not x.voided:
                wrong = Rec(step=x.step, occurred_on=x.occurred_on, data=dict(x.data), voided=True)
                wrong.occurred_on = _day(x.occurred_on, -1) if x.code != "talk" else x.occurred_on
                plan.records.append(wrong)
                self.voided += 1
                return


# --- the whole plan ----------------------------------------------------------------------------------


def freshman_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    anchor = academic_anchor(today)
    return anchor, min(today, datetime.date(anchor.year, 10, 31))


def is_freshman(p: P, year: int) -> bool:
    return p.category == "student" and p.staff_number.startswith(str(year)) and p.department.endswith("班")


def plan_development(world: World, planner: Planner) -> list[CasePlan]:
    rng, today = planner.rng, planner.today
    anchor = planner.anchor
    start, end = freshman_window(today)
    plans: list[CasePlan] = []
    special: set[int] = set()
    showcase = world.showcase
    activist1 = world.account_person.get("activist1")

    # The extended probation and the terminated case: in the demo college when possible.
    def pick(status: str, prefer_branch: int | None, exclude: set[int]):
        pool = [p for p in world.people if p.status == status and p.id not in exclude and not p.user]
        preferred = [p for p in pool if prefer_branch and p.branch == prefer_branch]
        college = [p for p in pool if world.college and world.units[p.branch][3] == world.college]
        return preferred + college + pool

    for p in pick(PoliticalStatus.PROBATIONARY, world.sibling, set()):
        plan = planner.plan_extended(p)
        if plan is not None:
            plans.append(plan)
            special.add(p.id)
            break
    for p in pick(PoliticalStatus.ACTIVIST, world.sibling, special | ({activist1} if activist1 else set())):
        plan = planner.plan_terminated(p)
        if plan is not None:
            plans.append(plan)
            special.add(p.id)
            break

    three_years = rules.add_months(today, -36)
    cycle = ["due_soon", "overdue", "on_time", "on_time"]
    showcase_n = 0
    for p in world.people:
        if p.id in special:
            continue
        if is_freshman(p, anchor.year) and p.status in (PoliticalStatus.MASSES, PoliticalStatus.APPLICANT):
            if p.status == PoliticalStatus.MASSES and rng.random() >= FRESHMAN_SHARE:
                continue
            plan = planner.plan_freshman(p, start=start, end=end)
        elif p.status == PoliticalStatus.FULL:
            j = p.dates.get("joined_on")
            if not j or j < three_years or p.is_mobile:
                continue
            plan = planner.plan_completed(p, upto_archive=rng.random() >= 0.03)
        elif p.status in STATUS_MAX_STEP:
            category = None
            if p.id == activist1:
                category = "on_time"
            elif showcase and p.branch == showcase:
                category = cycle[showcase_n % len(cycle)]
                showcase_n += 1
            plan = planner.plan_open(p, category=category)
        else:
            continue
        if plan is not None:
            plans.append(plan)
    # A few voided records, in the demo branches first.
    candidates = [x for x in plans if x.person.branch in (showcase, world.sibling) and x.status == CaseStatus.OPEN]
    for plan in (candidates[:3] + plans[:: max(1, len(plans) // 5)])[:8]:
        planner.add_voided(plan)
    return plans


def evaluate_plans(plans: list[CasePlan], planner: Planner) -> None:
    pm = planner.rule_set.probation_months
    for plan in plans:
        valid = [x for x in plan.records if not x.voided]
        ext = plan.extension
        plan.state = rules.evaluate(
            planner.steps,
            valid,
            probation_months=pm,
            extension_months=ext[0] if ext else 0,
            extended_on=ext[1] if ext else None,
            closed=plan.status != CaseStatus.OPEN,
        )


# --- writing -----------------------------------------------------------------------------------------


class Writer:
    def __init__(self, world: World, planner: Planner, *, creator: int, now: datetime.datetime):
        self.world, self.planner, self.creator, self.now = world, planner, creator, now
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.rng = random.Random(planner.rng.random())
        self.counts: Counter = Counter()
        self.case_of: dict[int, int] = {}  # person id → case id
        self._pools: dict[int, list[int]] = {}
        ops = connection.ops
        self.d, self.dt = ops.adapt_datefield_value, ops.adapt_datetimefield_value
        data_field = StepRecord._meta.get_field("data")
        self.json = lambda value: data_field.get_db_prep_save(value, connection)

    def at(self, day: datetime.date, hour: int = 10) -> datetime.datetime:
        return min(
            datetime.datetime.combine(day, datetime.time(hour, self.rng.randint(0, 59)), tzinfo=self.tz), self.now
        )

    def recorder(self, branch: int, committee: bool) -> int:
        if committee:
            parent = self.world.units[branch][3]
            return self.world.college_secretaries.get(parent, self.creator)
        return self.world.secretaries.get(branch, self.creator)

    def committee_name(self, branch: int) -> str:
        parent = self.world.units[branch][3]
        return self.world.units[parent][1] if parent in self.world.units else ""

    def sponsors_for(self, p: P, n: int, on: datetime.date) -> list[int]:
        """One or two full members of the branch (of a sibling branch when it has too few)."""
        pool = [x for x in self.world.full_by_branch.get(p.branch, []) if x != p.id and self.confirmed_by(x, on)]
        if len(pool) < n:
            pool += [x for x in self.college_pool(p.branch) if x not in pool and self.confirmed_by(x, on)]
        if not pool:
            return []
        picked = self.rng.sample(pool, k=min(n, len(pool)))
        member1 = self.world.account_person.get("member1")
        if p.id == self.world.account_person.get("activist1") and member1 and member1 != p.id:
            picked = [member1] + [x for x in picked if x != member1][: n - 1]
            if len(picked) < 2:
                picked += [x for x in pool if x not in picked][:1]
        return picked

    def confirmed_by(self, pid: int, on: datetime.date) -> bool:
        when = self.world.by_id[pid].dates.get("confirmed_on")
        return when is None or when <= on

    def college_pool(self, branch: int) -> list[int]:
        parent = self.world.units[branch][3]
        if parent not in self._pools:
            self._pools[parent] = [
                x
                for b, members in self.world.full_by_branch.items()
                if self.world.units[b][3] == parent
                for x in members[:5]
            ]
        return self._pools[parent]

    def insert(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        names = ", ".join(qn(model._meta.get_field(c).column) for c in columns)
        sql = f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        with connection.cursor() as cursor:
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])

    def write_cases(self, plans: list[CasePlan]) -> None:
        d, dt = self.d, self.dt
        now = dt(self.now)
        for start in range(0, len(plans), BATCH_SIZE):
            chunk = plans[start : start + BATCH_SIZE]
            rows = []
            for plan in chunk:
                ext = plan.extension or (0, None, "")
                term = plan.terminated or (None, "", "")
                case = Case(status=plan.status)
                apply_state(case, plan.state)
                rows.append(
                    (
                        plan.person.id,
                        self.planner.rule_set.pk,
                        plan.status,
                        case.stage,
                        d(plan.applied_on),
                        case.last_step_number,
                        case.next_step_code,
                        d(case.next_due_on),
                        d(case.next_earliest_on),
                        d(case.activist_on),
                        d(case.candidate_on),
                        d(case.admitted_on),
                        d(case.confirmed_on),
                        ext[0],
                        d(ext[1]),
                        ext[2],
                        d(term[0]),
                        term[1],
                        term[2],
                        d(plan.completed_on),
                        self.recorder(plan.person.branch, False),
                        dt(self.at(plan.applied_on)),
                        now,
                    )
                )
            self.insert(Case, CASE_COLUMNS, rows)
            ids = dict(Case.objects.filter(person_id__in=[p.person.id for p in chunk]).values_list("person_id", "id"))
            records, contacts, notices = [], [], []
            for plan in chunk:
                case_id = ids[plan.person.id]
                self.case_of[plan.person.id] = case_id
                self.counts["cases_" + plan.status] += 1
                records += self._records(plan, case_id)
                contacts += self._contacts(plan, case_id)
                notices += self._notices(plan, case_id)
            self.insert(StepRecord, RECORD_COLUMNS, records)
            self.insert(CaseContact, CONTACT_COLUMNS, contacts)
            self.insert(PublicNotice, NOTICE_COLUMNS, notices)
            self.counts["records"] += len(records)
            self.counts["contacts"] += len(contacts)
            self.counts["notices"] += len(notices)

    def _records(self, plan: CasePlan, case_id: int) -> list[tuple]:
        out = []
        branch = plan.person.branch
        for x in sorted(plan.records, key=lambda r: (r.occurred_on, r.step.number, not r.voided)):
            committee = x.step.recorder == "committee"
            by = self.recorder(branch, committee)
            voided = x.voided
            if voided:
                self.counts["records_voided"] += 1
            out.append(
                (
                    case_id,
                    x.step.pk,
                    x.sequence,
                    self.d(x.occurred_on),
                    self.committee_name(branch) if committee else "",
                    "",
                    x.late_reason,
                    self.json(x.data),
                    RecordStatus.VOIDED if voided else RecordStatus.VALID,
                    VOID_REASON if voided else "",
                    by if voided else None,
                    self.dt(self.at(x.occurred_on, 17)) if voided else None,
                    by,
                    self.dt(self.at(x.occurred_on, 16)),
                )
            )
        return out

    def _contacts(self, plan: CasePlan, case_id: int) -> list[tuple]:
        done = {x.code: x.occurred_on for x in plan.records if not x.voided}
        out = []
        ended = self.d(plan.completed_on or (plan.terminated[0] if plan.terminated else None))
        sponsors: list[int] = []
        if "sponsors" in done:
            n = 2 if plan.person.id == self.world.account_person.get("activist1") else 1 + (plan.person.id % 3 != 0)
            sponsors = self.sponsors_for(plan.person, n, done["sponsors"])
            out += [(case_id, s, ContactRole.SPONSOR, self.d(done["sponsors"]), ended, "") for s in sponsors]
        if "introducers" in done:
            intro = sponsors[:2]
            if len(intro) < 2:
                more = [x for x in self.sponsors_for(plan.person, 3, done["introducers"]) if x not in intro]
                intro += more[: 2 - len(intro)]
            out += [(case_id, s, ContactRole.INTRODUCER, self.d(done["introducers"]), ended, "") for s in intro]
        return out

    def _notices(self, plan: CasePlan, case_id: int) -> list[tuple]:
        out = []
        p = plan.person
        unit = self.world.units[p.branch][1]
        committee = self.committee_name(p.branch)
        days = self.planner.rule_set.public_notice_workdays
        for kind, starts, ends in plan.notices:
            if starts > self.planner.today:
                continue
            what = "拟发展为中共预备党员" if kind == NoticeKind.CANDIDATE else "拟转为中共正式党员"
            text = (
                f"经{unit}支部委员会审查，{p.name}同志{what}。现予以公示，公示期为 {starts:%Y年%m月%d日} 至 "
                f"{ends:%Y年%m月%d日}（{days} 个工作日）。如有意见，请在公示期内以书面或当面方式向{unit}或"
                f"{committee}组织员反映。"
            )
            out.append(
                (
                    case_id,
                    kind,
                    self.d(starts),
                    self.d(ends),
                    days,
                    text,
                    f"{committee}组织员办公室",
                    "",
                    self.recorder(p.branch, False),
                    self.dt(self.at(starts, 9)),
                )
            )
        return out

    # -- thought reports --
    def write_reports(self, plans: list[CasePlan]) -> None:
        today = self.planner.today
        current = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        quarters = [rules.add_months(current, -3 * k) for k in range(4, 0, -1)]  # the last four full quarters
        admin = self.world.users.get("admin", self.creator)
        rows, comments = [], []
        for plan in plans:
            if plan.status != CaseStatus.OPEN:
                continue
            p = plan.person
            account = p.id == self.world.account_person.get("activist1")
            showcase = p.branch in (self.world.showcase, self.world.sibling)
            for q in quarters:
                if rules.add_months(q, 3) <= plan.applied_on:
                    continue
                if not account and self.rng.random() < 0.12:  # missing
                    continue
                submitted = self.at(max(plan.applied_on, min(today, _day(q, self.rng.randint(45, 88)))), 20)
                commented = (account or showcase or self.rng.random() < 0.05) and self.rng.random() < 0.5
                rows.append(
                    (
                        p.id,
                        self.case_of[p.id],
                        self.d(q),
                        f"{q.year}年第{(q.month - 1) // 3 + 1}季度思想汇报：{self.rng.choice(REPORT_TOPICS)}",
                        REPORT_BODY.format(name=p.name),
                        ReportStatus.READ if commented else ReportStatus.SUBMITTED,
                        self.dt(submitted),
                    )
                )
                if commented:
                    author = self.world.secretaries.get(p.branch) or admin
                    comments.append((p.id, q, author, submitted))
        self.insert(ThoughtReport, REPORT_COLUMNS, rows)
        ids = {}
        people = sorted({c[0] for c in comments})
        for start in range(0, len(people), 900):
            for rid, pid, q in ThoughtReport.objects.filter(person_id__in=people[start : start + 900]).values_list(
                "id", "person_id", "period_start"
            ):
                ids[(pid, q)] = rid
        comment_rows = [
            (
                ids[(pid, q)],
                author,
                self.rng.choice(COMMENTS),
                self.dt(min(submitted + datetime.timedelta(days=3), self.now)),
            )
            for pid, q, author, submitted in comments
        ]
        self.insert(ThoughtReportComment, ("report", "author", "body", "created_at"), comment_rows)
        self.counts["thought_reports"] = len(rows)
        self.counts["thought_report_comments"] = len(comment_rows)

    # -- people --
    def write_people(self) -> None:
        updates = self.planner.person_updates
        if updates:
            table = Person._meta.db_table
            sets = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in STATUS_FIELDS)
            sql = f"UPDATE {table} SET {sets} WHERE id = %s"
            rows = [(*(u[f] for f in STATUS_FIELDS), pid) for pid, u in sorted(updates.items())]
            with connection.cursor() as cursor:
                for start in range(0, len(rows), 5000):
                    cursor.executemany(sql, rows[start : start + 5000])
        events = [
            PersonEvent(
                person_id=pid,
                kind=PersonEventKind.STATUS,
                occurred_at=self.at(on, 11),
                effective_on=on,
                old_value=str(STATUS_LABELS[old]),
                new_value=str(STATUS_LABELS[new]),
                details={"source": "seed_demo", "reason": why},
            )
            for pid, old, new, on, why in self.planner.status_events
        ]
        PersonEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
        self.counts["people_updated"] = len(updates)
        self.counts["status_changes"] = len(events)


# --- transfers, mobile members, lost contact -----------------------------------------------------


def _transfers(world: World, planner: Planner, writer: Writer, busy: set[int]) -> dict:
    today = planner.today
    college = world.college or next(iter(world.units))
    branches = [uid for uid, u in world.units.items() if u[3] == college and u[2] == UnitKind.BRANCH]
    branches.sort(key=lambda uid: world.units[uid][0])
    if len(branches) < 3:
        branches = [uid for uid, u in world.units.items() if u[2] == UnitKind.BRANCH][:6]
    if len(branches) < 2:
        return {}
    secretary1 = world.users.get("secretary1", writer.creator)
    college_user = world.users.get("college1", writer.creator)
    showcase = world.showcase or branches[0]
    others = [b for b in branches if b not in (world.showcase, world.sibling)] or branches
    members = [
        p
        for p in world.people
        if p.status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
        and p.id not in busy
        and not p.user
        and not p.lost
        and not p.is_mobile
        and p.id not in world.seated
    ]
    in_college = [p for p in members if p.branch in branches and p.branch != showcase]
    candidates = in_college + [p for p in members if p.branch not in branches]
    if len(candidates) < 20:  # a tiny tree: no transfers
        return {}
    pool = iter(candidates)
    transfers, approvals, moved_out = [], [], []

    def approve(t, side, unit, decision=ApprovalDecision.APPROVED, comment="", days=1, by=None):
        when = writer.at(_day(t.requested_at.date(), days), 15)
        approvals.append(
            (
                t,
                TransferApproval(
                    side=side,
                    unit_id=unit,
                    decision=decision,
                    comment=comment,
                    decided_by_id=by or college_user,
                    decided_at=when,
                ),
            )
        )

    def new(kind, status, person, *, frm=None, to=None, external="", reason="", ago=30, **extra):
        t = Transfer(
            kind=kind,
            status=status,
            person_id=person.id if person else None,
            person_name=person.name if person else extra.pop("name"),
            from_unit_id=frm,
            to_unit_id=to,
            external_org=external,
            reason=reason,
            requested_by_id=world.secretaries.get(frm, secretary1) if frm else college_user,
            requested_at=writer.at(_day(today, -ago), 9),
            **extra,
        )
        transfers.append(t)
        if person:
            busy.add(person.id)
        return t

    def letter(n):
        return f"云组转〔{today.year}〕{n:03d}号"

    p = next(pool)
    new(
        TransferKind.INTERNAL,
        TransferStatus.PENDING_OUT,
        p,
        frm=p.branch,
        to=showcase,
        reason="转入本院其他支部",
        ago=3,
    )
    p = next(pool)
    t = new(
        TransferKind.INTERNAL,
        TransferStatus.PENDING_IN,
        p,
        frm=p.branch,
        to=others[-1] if others[-1] != p.branch else showcase,
        reason="学生转专业",
        ago=8,
    )
    approve(t, TransferSide.SENDING, p.branch, days=2)
    p = next(pool)
    t = new(
        TransferKind.OUTGOING,
        TransferStatus.LETTER_ISSUED,
        p,
        frm=p.branch,
        external=EXTERNAL_ORGS[0],
        reason="毕业就业",
        ago=130,
        letter_number=letter(1),
        letter_issued_on=_day(today, -125),
        receipt_due_on=_day(today, -35),
        dues_paid_until=_day(today, -130).replace(day=1),
    )
    approve(t, TransferSide.SENDING, p.branch, days=3)
    p = next(pool)
    t = new(
        TransferKind.OUTGOING,
        TransferStatus.LETTER_ISSUED,
        p,
        frm=p.branch,
        external=EXTERNAL_ORGS[1],
        reason="工作调动",
        ago=20,
        letter_number=letter(2),
        letter_issued_on=_day(today, -18),
        receipt_due_on=_day(today, 72),
        dues_paid_until=today.replace(day=1),
    )
    approve(t, TransferSide.SENDING, p.branch, days=2)
    p = next(pool)  # completed internal: the person is already in the receiving branch
    frm = next((b for b in others if b != p.branch), showcase)
    t = new(
        TransferKind.INTERNAL,
        TransferStatus.COMPLETED,
        p,
        frm=frm,
        to=p.branch,
        reason="硕博连读转入",
        ago=200,
        completed_on=_day(today, -190),
    )
    approve(t, TransferSide.SENDING, frm, days=3)
    approve(t, TransferSide.RECEIVING, p.branch, days=10)
    p = next(pool)
    t = new(
        TransferKind.OUTGOING,
        TransferStatus.COMPLETED,
        p,
        frm=p.branch,
        external=EXTERNAL_ORGS[2],
        reason="毕业就业",
        ago=160,
        letter_number=letter(3),
        letter_issued_on=_day(today, -155),
        receipt_due_on=_day(today, -65),
        receipt_returned_on=_day(today, -120),
        completed_on=_day(today, -120),
        dues_paid_until=_day(today, -160).replace(day=1),
    )
    approve(t, TransferSide.SENDING, p.branch, days=4)
    moved_out.append((p, _day(today, -120)))
    p = next(pool)
    t = new(
        TransferKind.INCOMING,
        TransferStatus.COMPLETED,
        p,
        to=p.branch,
        external="中共云州市第一中学委员会",
        reason="新生入学转入组织关系",
        ago=80,
        letter_number="云一中党〔2026〕12号",
        completed_on=_day(today, -70),
    )
    approve(t, TransferSide.RECEIVING, p.branch, days=6)
    p = next(pool)
    t = new(
        TransferKind.INTERNAL,
        TransferStatus.REJECTED,
        p,
        frm=p.branch,
        to=showcase,
        reason="转入本院其他支部",
        ago=60,
        note="材料不全，退回补充",
    )
    approve(t, TransferSide.SENDING, p.branch, ApprovalDecision.REJECTED, "缺少党费交纳证明，请补齐后重新提交", days=2)
    busy.discard(p.id)
    p = next(pool)
    new(
        TransferKind.OUTGOING,
        TransferStatus.CANCELLED,
        p,
        frm=p.branch,
        external=EXTERNAL_ORGS[3],
        reason="出国留学",
        ago=45,
        note="本人申请撤销，改为保留组织关系",
    )
    new(
        TransferKind.INCOMING,
        TransferStatus.PENDING_IN,
        None,
        to=showcase,
        external="中共云州师范大学委员会",
        reason="研究生入学转入组织关系",
        ago=5,
        name="新转入党员",
        letter_number="云师大党〔2026〕88号",
        incoming_data={"name": "新转入党员", "gender": "female", "political_status": "full"},
    )
    # Graduation season: one batch of about ten graduates from one branch.
    graduates = [x for x in members if x.branch == others[0] and x.id not in busy and x.category == "student"][:10]
    if len(graduates) < 10:
        graduates += [x for x in members if x.id not in busy and x not in graduates and x.category == "student"][
            : 10 - len(graduates)
        ]
    batch = TransferBatch(
        from_unit_id=others[0],
        title=f"{today.year if today.month >= 7 else today.year - 1}届毕业生党员组织关系转出",
        file_name="毕业生组织关系转接.xlsx",
        status=BatchStatus.SUBMITTED,
        total_rows=len(graduates),
        created_by_id=world.secretaries.get(others[0], college_user),
        created_at=writer.at(datetime.date(today.year if today.month >= 7 else today.year - 1, 6, 20), 10),
    )
    batch.save()
    for n, g in enumerate(graduates):
        issued = batch.created_at.date() + datetime.timedelta(days=3)
        done = n % 3 != 0
        t = new(
            TransferKind.OUTGOING,
            TransferStatus.COMPLETED if done else TransferStatus.LETTER_ISSUED,
            g,
            frm=g.branch,
            external=EXTERNAL_ORGS[n % len(EXTERNAL_ORGS)],
            reason="毕业离校",
            ago=(today - batch.created_at.date()).days,
            letter_number=letter(10 + n),
            letter_issued_on=issued,
            receipt_due_on=issued + datetime.timedelta(days=90),
            receipt_returned_on=issued + datetime.timedelta(days=30 + n) if done else None,
            completed_on=issued + datetime.timedelta(days=30 + n) if done else None,
            dues_paid_until=issued.replace(day=1),
            batch=batch,
        )
        approve(t, TransferSide.SENDING, g.branch, days=1)
        if done:
            moved_out.append((g, issued + datetime.timedelta(days=30 + n)))
    Transfer.objects.bulk_create(transfers)
    for t, a in approvals:
        a.transfer = t
    TransferApproval.objects.bulk_create([a for _t, a in approvals])
    # The people who left: off the roster, with their history.
    if moved_out:
        Person.objects.filter(pk__in=[x.id for x, _d in moved_out]).update(roster_status=RosterStatus.TRANSFERRED_OUT)
        PersonEvent.objects.bulk_create(
            [
                PersonEvent(
                    person_id=x.id,
                    kind=PersonEventKind.UPDATED,
                    occurred_at=writer.at(on, 11),
                    effective_on=on,
                    old_value="在册",
                    new_value="已转出",
                    details={"source": "seed_demo", "roster_status": RosterStatus.TRANSFERRED_OUT},
                )
                for x, on in moved_out
            ]
        )
    by_status = Counter(t.status for t in transfers)
    return {
        "transfers": len(transfers),
        "transfer_approvals": len(approvals),
        "transfer_batches": 1,
        **{f"transfers_{k}": v for k, v in sorted(by_status.items())},
    }


def _mobile(world: World, planner: Planner, writer: Writer) -> dict:
    today, rng = planner.today, random.Random(planner.rng.random())
    # Each university's graduates' mobile-member branch (kind mobile_branch, under the university).
    mobile_by_parent = {world.units[world.units[m][3]][4]: m for m in world.mobile_branches if world.units[m][3]}

    def mobile_branch_of(p: P) -> int | None:
        path = world.units[p.unit][4]
        found = [m for prefix, m in mobile_by_parent.items() if path.startswith(prefix)]
        return found[-1] if found else None

    people = [
        p for p in world.people if p.is_mobile and p.status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
    ]
    records, activities, reports = [], [], []
    for n, p in enumerate(people):
        graduated = datetime.date(today.year if today.month >= 7 else today.year - 1, 7, 1)
        started = _day(graduated, -rng.randint(0, 400) if n % 4 == 0 else rng.randint(0, 20))
        started = min(started, today)
        phone = p.phone or f"139{p.id % 10**8:08d}"
        record = MobileRecord(
            person_id=p.id,
            status=MobileStatus.ACTIVE,
            started_on=started,
            expected_return_on=None if n % 3 else rules.add_months(started, 12),
            destination=rng.choice(CITIES),
            reason=rng.choice((MobileReason.WORK, MobileReason.WORK, MobileReason.STUDY, MobileReason.INTERNSHIP)),
            reason_note="毕业后待落实工作单位，组织关系暂留学校" if n % 2 else "",
            contact_phone=phone,
            contact_other=f"微信 cb{p.id}",
            mobile_branch_id=mobile_branch_of(p),
            card_number=f"流动党员活动证 {world.root.code}-{started.year}-{n + 1:04d}",
            created_by_id=world.secretaries.get(p.branch, writer.creator),
            created_at=writer.at(started, 10),
        )
        records.append(record)
    MobileRecord.objects.bulk_create(records, batch_size=BATCH_SIZE)
    kinds = (ActivityKind.ORG_LIFE, ActivityKind.STUDY, ActivityKind.DUES, ActivityKind.VOLUNTEER)
    titles = {
        ActivityKind.ORG_LIFE: "参加流动党员党支部线上主题党日",
        ActivityKind.STUDY: "线上学习党的创新理论",
        ActivityKind.DUES: "线上交纳党费",
        ActivityKind.VOLUNTEER: "参加所在社区志愿服务",
    }
    for n, record in enumerate(records):
        for k in range(n % 3 + 1):
            day = _day(today, -rng.randint(5, 150))
            if day < record.started_on:
                continue
            kind = kinds[(n + k) % len(kinds)]
            activities.append(
                MobileActivity(
                    record=record,
                    kind=kind,
                    occurred_on=day,
                    title=titles[kind],
                    confirmed_by_id=writer.creator if k % 2 == 0 else None,
                    created_by_id=writer.creator,
                    created_at=writer.at(day, 20),
                )
            )
        if record.started_on.year < today.year and n % 4 != 3:
            year = today.year - 1
            reports.append(
                MobileReport(
                    record=record,
                    year=year,
                    content=f"{year}年在{record.destination}工作期间，按时参加流动党员党支部线上组织生活，按月交纳党费，主动参加社区志愿服务。",
                    submitted_at=writer.at(datetime.date(year, 12, 20), 20),
                    submitted_by_id=writer.creator,
                    comment="已阅，表现良好。" if n % 2 == 0 else "",
                    reviewed_by_id=writer.creator if n % 2 == 0 else None,
                    reviewed_at=writer.at(datetime.date(year, 12, 28), 10) if n % 2 == 0 else None,
                )
            )
    MobileActivity.objects.bulk_create(activities, batch_size=BATCH_SIZE)
    MobileReport.objects.bulk_create(reports, batch_size=BATCH_SIZE)

    lost = [p for p in world.people if p.lost and p.status in (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)]
    lost.sort(key=lambda p: p.id)
    if len(lost) < 2:  # a small tree: flag a mobile member who stopped answering as well
        extra = [p for p in people if not p.lost and not p.user][: 2 - len(lost)]
        for p in extra:
            p.lost = True
        Person.objects.filter(pk__in=[p.id for p in extra]).update(is_lost_contact=True)
        PersonEvent.objects.bulk_create(
            [
                PersonEvent(
                    person_id=p.id,
                    kind=PersonEventKind.FLAGS,
                    occurred_at=writer.now,
                    old_value="",
                    new_value="失联",
                    details={"source": "seed_demo", "is_lost_contact": True},
                )
                for p in extra
            ]
        )
        lost += extra
    cases, attempts = [], []
    for n, p in enumerate(lost[:2]):
        since = _day(today, -rng.randint(90, 150) if n == 0 else -rng.randint(300, 420))
        case = LostContact(
            person_id=p.id,
            status=LostContactStatus.OPEN if n == 0 else LostContactStatus.SUSPENDED,
            lost_since=since,
            suspended_on=None if n == 0 else rules.add_months(since, 6),
            note="毕业后与支部失去联系，多方联系未果"
            if n == 0
            else "失去联系超过六个月，经支部大会讨论决定停止党籍，报上级党委批准",
            created_by_id=world.secretaries.get(p.branch, writer.creator),
            created_at=writer.at(_day(since, 30), 10),
        )
        cases.append(case)
        methods = (ContactMethod.PHONE, ContactMethod.MESSAGE, ContactMethod.RELATIVES, ContactMethod.LETTER)
        for k in range(3 + n):
            day = _day(since, 20 + k * 35)
            if day > today:
                break
            attempts.append(
                ContactAttempt(
                    lost_contact=case,
                    attempted_on=day,
                    method=methods[k % len(methods)],
                    succeeded=False,
                    note="电话无人接听" if k % 2 == 0 else "联系家属，家属表示也无法联系本人",
                    created_by_id=case.created_by_id,
                    created_at=writer.at(day, 15),
                )
            )
    LostContact.objects.bulk_create(cases)
    ContactAttempt.objects.bulk_create(attempts)
    return {
        "mobile_records": len(records),
        "mobile_activities": len(activities),
        "mobile_reports": len(reports),
        "lost_contacts": len(cases),
        "contact_attempts": len(attempts),
    }


# --- entry point ---------------------------------------------------------------------------------


def categorize(state: rules.CaseState, today: datetime.date) -> str:
    due = state.next.due if state.next else None
    if due is None or due > today + datetime.timedelta(days=30):
        return "on_time"
    return "overdue" if due < today else "due_soon"


def seed_development(
    root: OrgUnit,
    *,
    seed: int,
    today: datetime.date,
    now: datetime.datetime,
    creator: int,
    demo: dict[str, OrgUnit],
) -> dict:
    """Write the development demo under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    # The demo is written for the 25 steps of rule set "2014"; applications under a later rule set
    # (none yet) are left without a case.
    rule_set = RuleSet.objects.filter(code="2014").first()
    if rule_set is None:
        return {"cases": 0, "seconds": 0.0}
    later = RuleSet.objects.filter(valid_from__gt=rule_set.valid_from).order_by("valid_from").first()
    overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
    world = load_world(root, demo=demo)
    planner = Planner(
        world, seed=seed, today=today, rule_set=rule_set, overrides=overrides, until=later.valid_from if later else None
    )
    plans = plan_development(world, planner)
    evaluate_plans(plans, planner)
    writer = Writer(world, planner, creator=creator, now=now)
    writer.write_people()
    writer.write_cases(plans)
    writer.write_reports(plans)
    busy = {p.person.id for p in plans if p.status == CaseStatus.OPEN}
    counts = dict(writer.counts)
    counts.update(_transfers(world, planner, writer, busy))
    counts.update(_mobile(world, planner, writer))
    open_plans = [p for p in plans if p.status == CaseStatus.OPEN]
    spread = Counter(categorize(p.state, today) for p in open_plans)
    counts["cases"] = len(plans)
    counts["open_on_time"] = spread["on_time"]
    counts["open_due_soon"] = spread["due_soon"]
    counts["open_overdue"] = spread["overdue"]
    counts["steps_covered"] = len({p.state.last_number for p in plans})
    counts["freshmen_applied"] = sum(1 for *_x, why in planner.status_events if why == "freshman")
    counts = dict(sorted(counts.items()))
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=DEVELOPMENT_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
