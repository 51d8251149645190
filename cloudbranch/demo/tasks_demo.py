"""Top-down tasks demo (issue 10 item 1) for the seeded demo tree.

``seed_tasks(root, seed=..., today=..., now=..., creator=..., demo=...)`` writes, once:

* **volume, with bulk inserts**: the organization department (``admin`` at the root) issued five
  current tasks to every active branch (开展主题党日活动并报送材料, 报送年度党员发展计划,
  完成党费收缴自查, …), 8 to 100 days before the seeding day (so partly last year when seeded early
  in the year), and two in the previous calendar year (closed, never after the seeding day). Each
  branch's target is in a state that fits the task's timing: before the deadline 待接收 / 已接收 /
  办理中 (a responsible person and a progress report) / 待审核 (a completion report with evidence
  files) / 已退回 (with the reviewer's comment) / 已完成; after it also 已完成 on time and late,
  待审核 late, and overdue (still open). Evidence rows of the bulk share two generated files (a
  small PDF and a photo). No notification per branch (a real issue would tell every branch's
  officers): the demo secretaries get one per open task.
* **the showcase, through the real services** (``worktasks.tasks``), with ``now=`` set to the
  moment of each step: ``secretary1``'s branch has one task to submit now (办理中 60 %, ``member1``
  responsible), one returned by the organization department with a comment (to fix and submit
  again), one accepted on time, one overdue (in progress, past its deadline: the branch's tasks
  warning) and one still to receive; ``college1`` issued a
  task to the college's branches through ``task_create(issue=True)``, and ``secretary1``'s branch
  submitted it with evidence, waiting for ``college1``'s review.

Deterministic for a seed, a day and a database; one audit row ``demo.seed.tasks`` holds the counts
(the showcase writes its own audit rows through the services).
"""

from __future__ import annotations

import datetime
import io
import random
import time
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.worktasks import tasks as services
from cloudbranch.worktasks.choices import ReportKind, ReviewDecision, TargetStatus, TaskStatus
from cloudbranch.worktasks.models import (
    AssignedTask,
    TaskAttachment,
    TaskEvidence,
    TaskReport,
    TaskReview,
    TaskTarget,
)

TASKS_ACTION = "demo.seed.tasks"
BATCH = 2000
LOGINS = ("admin", "college1", "secretary1", "secretary2", "member1")
FILE_DIR = "worktasks/demo"
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Plan:
    key: str
    title: str
    requirements: str
    evidence: str
    issued: int  # days before today (this year's tasks) …
    deadline: int  # … and days from today (negative: past)
    last_year: tuple[int, int, int, int] | None = None  # (issued month, day, deadline month, day) of last year


ROOT_TASKS = [
    Plan(
        "theme_day",
        "开展主题党日活动并报送材料",
        "各党支部围绕本月学习主题开展一次主题党日活动，活动后报送活动方案、签到表、现场照片和活动小结。",
        "活动方案、签到表、现场照片、活动小结",
        25,
        10,
    ),
    Plan(
        "development_plan",
        "报送年度党员发展计划",
        "各党支部根据发展党员工作总体规划，结合本支部入党积极分子和发展对象情况，"
        "研究提出下一年度发展党员计划，经支部委员会讨论后报送。",
        "发展党员计划表（加盖支部公章的扫描件）",
        70,
        -20,
    ),
    Plan(
        "dues_check",
        "完成党费收缴自查",
        "对照党费收缴、使用和管理的有关规定，对本支部今年以来党费交纳基数核定、按月交纳、欠缴催缴情况开展自查，"
        "形成自查报告。",
        "党费收缴自查报告",
        8,
        30,
    ),
    Plan(
        "meetings_check",
        "报送“三会一课”落实情况自查报告",
        "对本支部今年以来支部党员大会、支部委员会、党小组会和党课的召开情况进行自查，"
        "对照会议记录说明召开次数、主题和参会情况，查找问题并提出整改措施。",
        "自查报告、会议记录照片",
        40,
        4,
    ),
    Plan(
        "study_notes",
        "组织党员专题学习并报送学习心得",
        "组织支部全体党员开展专题学习，每名党员撰写不少于 800 字的学习心得，支部汇总后报送。",
        "学习心得汇编",
        100,
        -45,
    ),
]
LAST_YEAR_TASKS = [
    Plan(
        "half_year_summary",
        "报送上半年党建工作总结",
        "各党支部总结上半年党建工作开展情况、特色做法和存在的问题，提出下半年工作打算。",
        "上半年党建工作总结",
        0,
        0,
        (6, 10, 7, 10),
    ),
    Plan(
        "appraisal",
        "开展年度民主评议党员工作",
        "按照民主评议党员工作安排，组织党员开展学习教育、自我评价、民主测评，确定评议等次并报送结果。",
        "民主评议党员结果汇总表",
        0,
        0,
        (11, 15, 12, 20),
    ),
]
COLLEGE_TASK = Plan(
    "college_awards",
    "报送学院“两优一先”推荐材料",
    "各党支部按照学院“两优一先”评选通知，做好优秀共产党员、优秀党务工作者和先进基层党组织的推荐工作，"
    "报送推荐表和事迹材料。",
    "推荐表、事迹材料",
    12,
    8,
)

# State patterns: the first entries are all distinct, so every state shows at small scales too.
OPEN_PATTERN = (
    "issued", "received", "in_progress", "submitted", "returned", "accepted",
    "in_progress", "submitted", "issued", "accepted", "in_progress", "received",
    "submitted", "in_progress", "issued", "accepted", "in_progress", "submitted",
)  # fmt: skip
PAST_PATTERN = (
    "accepted", "accepted_late", "overdue_in_progress", "submitted_late", "overdue_issued",
    "overdue_received", "returned", "submitted", "accepted", "accepted", "accepted_late",
    "accepted", "overdue_in_progress", "accepted", "accepted", "accepted_late", "accepted",
    "submitted_late", "accepted", "accepted",
)  # fmt: skip
CLOSED_PATTERN = ("accepted", "accepted", "accepted_late", "accepted", "accepted", "accepted", "accepted_late")

PROGRESS_TEXTS = (
    "已召开支部委员会研究部署，明确责任分工，正在按计划推进。",
    "已完成前期材料收集，正在汇总整理。",
    "已组织党员学习相关文件，正在形成书面材料。",
    "主体工作已完成，正在补充完善佐证材料。",
)
COMPLETION_TEXTS = (
    "已按要求完成，相关材料已上传，请审核。",
    "任务已办结，佐证材料见附件。",
    "已按通知要求完成各项工作，现将材料报送，请审核。",
)
RETURN_COMMENTS = (
    "材料不完整：缺少现场照片和签到表，请补充后重新报送。",
    "自查报告未提出具体整改措施，请完善后重新报送。",
    "报送材料未加盖支部公章，请重新上传扫描件。",
)
ACCEPT_COMMENTS = ("材料齐全，审核通过。", "", "按期完成，审核通过。", "")


# --- generated files ------------------------------------------------------------------------------


def _canvas(title: str, lines: list[str], *, size=(595, 842), background=(255, 255, 255)):
    from PIL import Image, ImageDraw

    from .news_demo import _font

    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    big, small = _font(30), _font(18)
    if big is None:  # no CJK font installed: a plain page still opens
        draw.rectangle((40, 40, size[0] - 40, 90), outline=(180, 0, 0), width=3)
        return img
    draw.text((50, 50), title, font=big, fill=(180, 0, 0))
    draw.line((50, 100, size[0] - 50, 100), fill=(180, 0, 0), width=2)
    for i, line in enumerate(lines):
        draw.text((50, 130 + 34 * i), line, font=small, fill=(40, 40, 40))
    return img


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF (an A4-sized picture of the text) for evidence and attachments."""
    out = io.BytesIO()
    _canvas(title, lines).save(out, "PDF", resolution=72)
    return out.getvalue()


def demo_photo(caption: str) -> bytes:
    """A small JPEG (a soft background with a caption) for photo evidence."""
    out = io.BytesIO()
    _canvas(caption, ["云端支部 · 演示照片"], size=(640, 400), background=(255, 236, 210)).save(out, "JPEG", quality=80)
    return out.getvalue()


# --- the seeder -----------------------------------------------------------------------------------


def has_tasks(root: OrgUnit) -> bool:
    return AssignedTask.objects.filter(issuer__path__startswith=root.path).exists()


class Seeder:
    def __init__(self, root, *, seed, today, now, creator, demo):
        self.root, self.today, self.now = root, today, now
        self.tz = timezone.get_current_timezone()  # deadlines at 17:30 local time
        self.rng = random.Random(f"tasks:{seed}:{today.isoformat()}")
        self.counts: Counter = Counter()
        self.college, self.branch1, self.branch2 = demo.get("college"), demo.get("branch1"), demo.get("branch2")
        User = get_user_model()
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.admin = self.users.get("admin") or User.objects.get(pk=creator)
        self.persons = {
            p.user.username: p for p in Person.objects.filter(user__username__in=LOGINS).select_related("user")
        }
        self.showcase_on = bool(self.branch1 and "secretary1" in self.users and "secretary1" in self.persons)
        self.branches = list(
            OrgUnit.objects.filter(path__startswith=root.path, kind__in=BRANCH_KINDS, status=UnitStatus.ACTIVE)
            .order_by("path")
            .only("id", "path", "name", "kind")
        )
        self.responsible = self.responsible_people()
        self.reports: list[tuple] = []  # (target, kind, text, progress, by, at, evidence)
        self.reviews: list[tuple] = []  # (target, decision, comment, actor, at)
        self.files: dict[str, tuple[str, str, int]] = {}

    # --- helpers ----------------------------------------------------------------------------------
    def responsible_people(self) -> dict[int, int]:
        """{branch id: the person who answers for its tasks}: the first full member on the roster of
        the branch or of its groups, else the first person there. Two queries."""
        branch_ids = {u.pk for u in self.branches}
        branch_of = {u: u for u in branch_ids}
        for unit_id, parent_id in OrgUnit.objects.filter(parent_id__in=branch_ids).values_list("id", "parent_id"):
            branch_of[unit_id] = parent_id
        first: dict[int, int] = {}
        full: dict[int, int] = {}
        for unit_id, pid, status in (
            Person.objects.filter(unit_id__in=list(branch_of), roster_status=RosterStatus.ACTIVE)
            .order_by("id")
            .values_list("unit_id", "id", "political_status")
        ):
            branch = branch_of[unit_id]
            first.setdefault(branch, pid)
            if status == PoliticalStatus.FULL:
                full.setdefault(branch, pid)
        return {**first, **full}

    def at(self, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=self.tz)

    def between(self, a: datetime.datetime, b: datetime.datetime) -> datetime.datetime:
        """A moment in [a, b] (a when the window is empty), to the minute."""
        if b <= a:
            return a
        minutes = int((b - a).total_seconds() // 60)
        return a + datetime.timedelta(minutes=self.rng.randint(0, minutes))

    def reporter(self, unit: OrgUnit):
        """Who reports for a branch without an account of its own: its demo secretary, the college's
        committee secretary inside the demo college, else the organization department."""
        if self.branch2 and unit.pk == self.branch2.pk and "secretary2" in self.users:
            return self.users["secretary2"]
        if self.college and unit.path.startswith(self.college.path) and "college1" in self.users:
            return self.users["college1"]
        return self.admin

    def shared_file(self, key: str, name: str, data: bytes, content_type: str) -> tuple[str, str, int]:
        """Store one generated file once; bulk evidence rows point at it."""
        if key not in self.files:
            stored = default_storage.save(f"{FILE_DIR}/{name}", ContentFile(data))
            self.files[key] = (stored, name, len(data))
            self.counts["files"] += 1
        return self.files[key]

    def evidence_files(self) -> list[tuple[str, str, int, str]]:
        pdf = self.shared_file(
            "pdf",
            "工作任务报送材料.pdf",
            demo_pdf("工作任务报送材料", ["（演示数据）", "一、基本情况", "二、主要做法", "三、存在问题及整改措施"]),
            "application/pdf",
        )
        photo = self.shared_file("photo", "活动现场照片.jpg", demo_photo("活动现场照片"), "image/jpeg")
        return [(*pdf, "application/pdf"), (*photo, "image/jpeg")]

    # --- tasks --------------------------------------------------------------------------------------
    def times(self, plan: Plan) -> tuple[datetime.datetime, datetime.datetime]:
        if plan.last_year:
            im, id_, dm, dd = plan.last_year
            year = self.today.year - 1
            return self.at(datetime.date(year, im, id_), 9), self.at(datetime.date(year, dm, dd), 17, 30)
        return (
            self.at(self.today - datetime.timedelta(days=plan.issued), 9),
            self.at(self.today + datetime.timedelta(days=plan.deadline), 17, 30),
        )

    def root_task(self, plan: Plan, *, attachment: bool = False) -> AssignedTask:
        issued, deadline = self.times(plan)
        closed_at = None
        if plan.last_year is not None:
            # A month after the deadline, or yesterday if that is still ahead (seeded in early January,
            # last year's December deadline was only days ago): never closed in the future.
            closed_at = min(deadline + 30 * DAY, self.now - DAY)
        task = AssignedTask.objects.create(
            issuer=self.root, title=plan.title, requirements=plan.requirements, evidence_expected=plan.evidence,
            deadline=deadline, status=TaskStatus.CLOSED if closed_at else TaskStatus.ISSUED,
            issued_at=issued, closed_at=closed_at,
            created_by=self.admin, created_at=issued - 2 * HOUR,
        )  # fmt: skip
        if attachment:
            name = f"关于{plan.title}的通知.pdf"
            data = demo_pdf(plan.title, ["（演示数据）", plan.requirements[:30], plan.requirements[30:60]])
            stored = default_storage.save(f"{FILE_DIR}/{name}", ContentFile(data))
            TaskAttachment.objects.create(
                task=task, file=stored, name=name, content_type="application/pdf", size=len(data)
            )
            self.counts["attachments"] += 1
        self.counts["tasks_bulk"] += 1
        return task

    def fill(self, target: TaskTarget, task: AssignedTask, state: str) -> None:
        """Set a target's state and timing and queue its reports and reviews (bulk)."""
        issued, deadline, now = task.issued_at, task.deadline, self.now
        end = min(now, task.closed_at) if task.closed_at else now
        unit = target.unit
        if state.startswith("overdue_"):
            state = state[len("overdue_") :]
        if state == "issued":
            return
        received = self.between(issued + HOUR, min(issued + 2 * DAY, end - 2 * HOUR))
        target.received_at = received
        target.status = TargetStatus.RECEIVED
        if state == "received":
            return
        target.responsible_id = self.responsible.get(unit.pk)
        target.status = TargetStatus.IN_PROGRESS
        by = self.reporter(unit)
        if state == "in_progress":
            target.progress = self.rng.choice((20, 30, 40, 50, 60, 70, 80))
            at = self.between(received + HOUR, end - HOUR)
            self.reports.append((target, ReportKind.PROGRESS, self.rng.choice(PROGRESS_TEXTS), target.progress, by, at))
            return
        if state in ("submitted_late", "accepted_late"):
            late_end = min(end - (2 * DAY if state == "accepted_late" else HOUR), deadline + 6 * DAY)
            submitted = self.between(deadline + 3 * HOUR, late_end)
        else:
            latest = min(deadline - HOUR, end - (2 * DAY if state in ("accepted", "returned") else HOUR))
            submitted = self.between(received + DAY, latest)
        submitted = max(submitted, received + HOUR)
        if self.rng.random() < 0.6:
            mid = self.between(received + HOUR, submitted - HOUR)
            self.reports.append((target, ReportKind.PROGRESS, self.rng.choice(PROGRESS_TEXTS), 50, by, mid))
        self.reports.append((target, ReportKind.COMPLETION, self.rng.choice(COMPLETION_TEXTS), 100, by, submitted))
        target.progress = 100
        target.submitted_at = submitted
        target.status = TargetStatus.SUBMITTED
        if state in ("submitted", "submitted_late"):
            return
        reviewed = self.between(submitted + 2 * HOUR, min(submitted + 3 * DAY, end))
        if state == "returned":
            target.status = TargetStatus.RETURNED
            self.reviews.append(
                (target, ReviewDecision.RETURN, self.rng.choice(RETURN_COMMENTS), task.created_by, reviewed)
            )
            return
        target.status = TargetStatus.ACCEPTED
        target.accepted_at = reviewed
        target.on_time = submitted <= deadline
        self.reviews.append(
            (target, ReviewDecision.ACCEPT, self.rng.choice(ACCEPT_COMMENTS), task.created_by, reviewed)
        )

    def targets_bulk(self, task: AssignedTask, units: list[OrgUnit], pattern: tuple[str, ...]) -> list[TaskTarget]:
        order = list(units)
        self.rng.shuffle(order)
        made = []
        for i, unit in enumerate(order):
            t = TaskTarget(task=task, unit=unit)
            self.fill(t, task, pattern[i % len(pattern)])
            made.append(t)
        made.sort(key=lambda t: t.unit.path)
        TaskTarget.objects.bulk_create(made, batch_size=BATCH)
        self.counts["targets_bulk"] += len(made)
        return made

    def write_reports(self) -> None:
        files = self.evidence_files() if any(r[1] == ReportKind.COMPLETION for r in self.reports) else []
        rows = [
            TaskReport(target=t, kind=kind, text=text, progress=progress, submitted_by=by, submitted_at=at)
            for t, kind, text, progress, by, at in self.reports
        ]
        TaskReport.objects.bulk_create(rows, batch_size=BATCH)
        evidence = []
        for i, r in enumerate(rows):
            if r.kind != ReportKind.COMPLETION:
                continue
            chosen = files if i % 3 == 0 else files[:1]
            for stored, name, size, ctype in chosen:
                evidence.append(TaskEvidence(report=r, file=stored, name=name, content_type=ctype, size=size))
        TaskEvidence.objects.bulk_create(evidence, batch_size=BATCH)
        TaskReview.objects.bulk_create(
            [TaskReview(target=t, decision=d, comment=c, actor=a, at=at) for t, d, c, a, at in self.reviews],
            batch_size=BATCH,
        )
        self.counts["reports_bulk"] += len(rows)
        self.counts["evidence_bulk"] += len(evidence)
        self.counts["reviews_bulk"] += len(self.reviews)
        self.reports, self.reviews = [], []

    def volume(self) -> dict[str, TaskTarget]:
        """The root's tasks to every branch; returns the showcase branch's targets (left 待接收)."""
        mine: dict[str, TaskTarget] = {}
        others = [u for u in self.branches if not (self.showcase_on and u.pk == self.branch1.pk)]
        for i, plan in enumerate(LAST_YEAR_TASKS + ROOT_TASKS):
            task = self.root_task(plan, attachment=i == len(LAST_YEAR_TASKS))
            if plan.last_year:
                pattern = CLOSED_PATTERN
                units = self.branches
            else:
                pattern = OPEN_PATTERN if task.deadline > self.now else PAST_PATTERN
                units = others
            self.targets_bulk(task, units, pattern)
            if self.showcase_on and not plan.last_year:
                mine[plan.key] = TaskTarget.objects.create(task=task, unit=self.branch1)
        self.write_reports()
        # What a real issue tells the branches: one notice per open task to the demo secretaries.
        recipients = [self.users[n] for n in ("secretary1", "secretary2") if n in self.users]
        for plan in ROOT_TASKS:
            if plan.deadline > 0 and recipients:
                notify(
                    recipients=recipients, category=Category.TASK, title=f"新任务：{plan.title}",
                    body=f"{self.root.name}下发任务，完成时限 {self.today + datetime.timedelta(days=plan.deadline):%Y-%m-%d} 17:30。",
                    url=reverse("worktasks:board"), actor=self.admin,
                )  # fmt: skip
                self.counts["notifications"] += len(recipients)
        return mine

    # --- showcase through the services --------------------------------------------------------------
    def upload(self, kind: str, name: str) -> SimpleUploadedFile:
        if kind == "pdf":
            data = demo_pdf(name.rsplit(".", 1)[0], ["（演示数据）", self.branch1.name, "一、基本情况", "二、主要做法"])
            return SimpleUploadedFile(name, data, content_type="application/pdf")
        return SimpleUploadedFile(name, demo_photo(name.rsplit(".", 1)[0]), content_type="image/jpeg")

    def showcase(self, mine: dict[str, TaskTarget]) -> None:
        if not mine:
            return
        sec, adm = self.users["secretary1"], self.admin
        me = self.persons["secretary1"]
        member = self.persons.get("member1")
        steps = 0

        def start(target: TaskTarget, person: Person, *, progress: int | None = None) -> datetime.datetime:
            issued = target.task.issued_at
            services.target_receive(actor=sec, target_id=target.pk, now=issued + 20 * HOUR)
            services.target_assign(actor=sec, target_id=target.pk, person_id=person.pk, now=issued + 21 * HOUR)
            if progress is not None:
                services.target_report(
                    actor=sec, target_id=target.pk, text=PROGRESS_TEXTS[0], progress=progress,
                    now=issued + 5 * DAY,
                )  # fmt: skip
            return issued + 5 * DAY

        # 办理中 60 %: member1 responsible, two progress reports — ready to submit now.
        t = mine["theme_day"]
        start(t, member or me, progress=30)
        services.target_report(
            actor=sec, target_id=t.pk, text="主题党日活动已开展，签到表和照片已整理，正在撰写活动小结。", progress=60,
            now=self.now - 3 * DAY,
        )  # fmt: skip
        steps += 4
        # Accepted on time by the organization department.
        t = mine["development_plan"]
        start(t, me, progress=50)
        deadline = t.task.deadline
        services.target_submit(
            actor=sec, target_id=t.pk, text="本支部下一年度发展党员计划已经支部委员会研究通过，现报送。",
            files=[self.upload("pdf", "年度党员发展计划.pdf")], now=deadline - 4 * DAY,
        )  # fmt: skip
        services.target_review(
            actor=adm, target_id=t.pk, decision=ReviewDecision.ACCEPT, comment="计划合理，审核通过。",
            now=deadline - 2 * DAY,
        )  # fmt: skip
        steps += 5
        # Overdue: received, in progress, not submitted — the tasks warning of the branch; submitting
        # it (late) clears the warning at the next refresh.
        t = mine["study_notes"]
        start(t, me, progress=40)
        steps += 3
        # Returned with a comment: to fix and submit again.
        t = mine["meetings_check"]
        start(t, me)
        services.target_submit(
            actor=sec, target_id=t.pk, text="本支部“三会一课”落实情况自查报告已完成，请审核。",
            files=[self.upload("pdf", "三会一课自查报告.pdf")], now=self.now - 10 * DAY,
        )  # fmt: skip
        services.target_review(
            actor=adm, target_id=t.pk, decision=ReviewDecision.RETURN,
            comment="自查报告缺少会议记录照片，整改措施不够具体，请补充完善后重新报送。", now=self.now - 6 * DAY,
        )  # fmt: skip
        steps += 4
        # "dues_check" stays 待接收: the board shows a new task.
        self.counts["showcase_steps"] += steps

    def college_task(self) -> None:
        """college1 issues a task to the college's branches through the service; secretary1's branch
        submitted it (待审核 by college1); the other branches in bulk states."""
        org = self.users.get("college1")
        if org is None or self.college is None:
            return
        issued, deadline = self.times(COLLEGE_TASK)
        task = services.task_create(
            actor=org, issuer_id=self.college.pk, title=COLLEGE_TASK.title, requirements=COLLEGE_TASK.requirements,
            evidence_expected=COLLEGE_TASK.evidence, deadline=deadline, issue=True,
            target_kinds=[UnitKind.BRANCH], now=issued,
        )  # fmt: skip
        self.counts["tasks_by_service"] += 1
        targets = list(task.targets.select_related("unit").order_by("unit__path"))
        mine = next((t for t in targets if self.showcase_on and t.unit_id == self.branch1.pk), None)
        others = [t for t in targets if t is not mine]
        self.rng.shuffle(others)
        for i, t in enumerate(others):
            t.task = task
            self.fill(t, task, OPEN_PATTERN[i % len(OPEN_PATTERN)])
        TaskTarget.objects.bulk_update(
            others,
            ["status", "responsible", "progress", "received_at", "submitted_at", "accepted_at", "on_time"],
            batch_size=BATCH,
        )
        self.write_reports()
        if mine is not None:
            sec = self.users["secretary1"]
            services.target_receive(actor=sec, target_id=mine.pk, now=issued + DAY)
            services.target_assign(
                actor=sec, target_id=mine.pk, person_id=self.persons["secretary1"].pk, now=issued + DAY
            )
            services.target_submit(
                actor=sec, target_id=mine.pk, text="本支部推荐人选已经支部党员大会讨论通过，推荐表和事迹材料见附件。",
                files=[self.upload("pdf", "两优一先推荐表.pdf"), self.upload("photo", "支部党员大会.jpg")],
                now=self.now - 2 * DAY,
            )  # fmt: skip
            self.counts["showcase_steps"] += 3


def seed_tasks(root: OrgUnit, *, seed: int, today, now, creator: int, demo: dict[str, OrgUnit]) -> dict:
    """Write the tasks demo under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    seeder = Seeder(root, seed=seed, today=today, now=now, creator=creator, demo=demo)
    mine = seeder.volume()
    if seeder.showcase_on:
        seeder.showcase(mine)
    seeder.college_task()
    counts = dict(sorted(seeder.counts.items()))
    counts["states"] = dict(
        TaskTarget.objects.filter(task__issuer__path__startswith=root.path)
        .order_by("status")
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=TASKS_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
