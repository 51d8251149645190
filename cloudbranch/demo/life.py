"""A year of organizational life for the seeded demo tree (issue 4 item 10).

``seed_life(root, seed=..., today=..., creator=...)`` reads the tree, the Party members and the
committee seats under ``root`` in three queries, plans every meeting in Python (``plan_life``,
deterministic for a seed and a day) and writes them with ``bulk_create``: monthly themes,
meetings (支委会, 主题党日, 党小组会 monthly; 支部党员大会 and 党课 quarterly; one 组织生活会),
joint meetings, cancellations, the frozen invitees with attendance, minutes and talks.

Realistic gaps: most branches are complete, about 15 % miss a month here and there, about 5 %
are badly behind; the current month is mostly not yet held and each branch has its next two or
three meetings scheduled. Secretary1's branch (``<root>0101``) is complete with an upcoming
themed Party day; secretary2's branch (``<root>0102``) missed one themed Party day.
Writes go directly through the models (this is demo data, not a user's action); one audit row
``demo.seed.meetings`` holds the counts.
"""

from __future__ import annotations

import datetime
import random
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from cloudbranch.audit.services import audit_record
from cloudbranch.meetings.choices import AttendanceStatus, CheckInMethod, InviteeScope, MeetingStatus
from cloudbranch.meetings.models import Invitee, Meeting, MonthlyTheme, Talk
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import CommitteePosition, PoliticalStatus, RosterStatus
from cloudbranch.people.models import CommitteeMembership, Person

from . import life_data as words

MEETINGS_ACTION = "demo.seed.meetings"
BATCH_SIZE = 1000
FLUSH_AT = 4000  # meetings planned before a write (keeps memory flat at province scale)
TUE, THU = 1, 3
TIMES = (datetime.time(14, 30), datetime.time(19, 0))
DURATION = datetime.timedelta(minutes=90)
POSITION_ORDER = {
    CommitteePosition.SECRETARY: 0,
    CommitteePosition.DEPUTY_SECRETARY: 1,
    CommitteePosition.ORGANIZATION_OFFICER: 2,
    CommitteePosition.PUBLICITY_OFFICER: 3,
    CommitteePosition.DISCIPLINE_OFFICER: 4,
}
MONTH_KINDS = ("committee", "themed_day")
HOLIDAYS = {(1, 1), *((5, d) for d in range(1, 6)), *((10, d) for d in range(1, 8))}
QUARTER_KINDS = ("general", "lecture")


def has_meetings(root: OrgUnit) -> bool:
    return Meeting.objects.filter(unit__path__startswith=root.path).exists()


# --- what is read from the database ----------------------------------------------------------------


@dataclass
class Group:
    id: int
    name: str
    members: list[int] = field(default_factory=list)
    full: list[int] = field(default_factory=list)


@dataclass
class Branch:
    id: int
    code: str
    name: str
    parent_id: int | None
    path: str
    members: list[int] = field(default_factory=list)  # Party members (probationary + full), branch and groups
    full: list[int] = field(default_factory=list)
    committee: list[int] = field(default_factory=list)  # current seats, secretary first
    groups: list[Group] = field(default_factory=list)
    secretary_user: int | None = None

    @property
    def has_committee(self) -> bool:
        return len(self.committee) >= 3


@dataclass
class World:
    root_id: int
    root_code: str
    branches: list[Branch]
    names: dict[int, str]
    flags: dict[int, str]  # person id → "lost" / "abroad" / "user"
    college_id: int | None  # the college that publishes its own themes


def load_world(root: OrgUnit) -> World:
    units = list(
        OrgUnit.objects.filter(path__startswith=root.path, status=UnitStatus.ACTIVE)
        .order_by("code")
        .values_list("id", "code", "name", "kind", "parent_id", "path")
    )
    branches: dict[int, Branch] = {}
    groups: dict[int, tuple[Group, Branch]] = {}
    colleges = []
    for uid, code, name, kind, parent_id, path in units:
        if kind in BRANCH_KINDS:
            branches[uid] = Branch(id=uid, code=code, name=name, parent_id=parent_id, path=path)
        elif kind == UnitKind.SUB_COMMITTEE and parent_id == root.pk:
            colleges.append(uid)
    for uid, _code, name, kind, parent_id, _path in units:
        if kind == UnitKind.GROUP and parent_id in branches:
            group = Group(id=uid, name=name)
            branches[parent_id].groups.append(group)
            groups[uid] = (group, branches[parent_id])
    names: dict[int, str] = {}
    flags: dict[int, str] = {}
    people = (
        Person.objects.filter(
            unit__path__startswith=root.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=(PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY),
        )
        .order_by("id")
        .values_list("id", "unit_id", "name", "political_status", "is_lost_contact", "is_abroad", "user_id")
    )
    for pid, unit_id, name, status, lost, abroad, user_id in people:
        names[pid] = name
        if lost:
            flags[pid] = "lost"
        elif abroad:
            flags[pid] = "abroad"
        elif user_id:
            flags[pid] = "user"
        full = status == PoliticalStatus.FULL
        if unit_id in branches:
            branch = branches[unit_id]
        elif unit_id in groups:
            group, branch = groups[unit_id]
            group.members.append(pid)
            if full:
                group.full.append(pid)
        else:
            continue
        branch.members.append(pid)
        if full:
            branch.full.append(pid)
    seats = CommitteeMembership.objects.filter(unit__path__startswith=root.path, ended_on__isnull=True).values_list(
        "unit_id", "person_id", "position", "id"
    )
    for unit_id, pid, _position, _sid in sorted(seats, key=lambda s: (POSITION_ORDER.get(s[2], 9), s[3])):
        if unit_id in branches and pid in names and pid not in branches[unit_id].committee:
            branches[unit_id].committee.append(pid)
    for unit_id, user_id in (
        RoleAssignment.objects.active()
        .filter(role=Role.BRANCH_SECRETARY, unit_id__in=list(branches))
        .order_by("id")
        .values_list("unit_id", "user_id")
    ):
        branches[unit_id].secretary_user = branches[unit_id].secretary_user or user_id
    return World(
        root_id=root.pk,
        root_code=root.code,
        branches=list(branches.values()),
        names=names,
        flags=flags,
        college_id=colleges[0] if colleges else None,
    )


# --- the plan ----------------------------------------------------------------------------------------


@dataclass
class InviteePlan:
    person: int
    status: str
    reason: str = ""
    checked_in_at: datetime.datetime | None = None
    method: str = ""


@dataclass
class MeetingPlan:
    unit: int
    kind: str
    title: str
    starts_at: datetime.datetime
    status: str
    topic: str = ""
    theme_month: datetime.date | None = None  # resolved to a MonthlyTheme when written
    theme_title: str = ""
    place: str = ""
    online_link: str = ""
    host: int | None = None
    recorder: int | None = None
    agenda: str = ""
    scope: str = InviteeScope.WHOLE_UNIT
    group: int | None = None
    cancel_reason: str = ""
    minutes: str = ""
    decisions: str = ""
    creator: int | None = None
    joint: list[int] = field(default_factory=list)
    invitees: list[InviteePlan] = field(default_factory=list)


@dataclass
class TalkPlan:
    unit: int
    interviewer: int
    interviewee: int
    held_on: datetime.date
    topic: str
    summary: str
    creator: int | None = None


def _month_add(year: int, month: int, n: int) -> tuple[int, int]:
    k = year * 12 + month - 1 + n
    return k // 12, k % 12 + 1


def window_months(today: datetime.date) -> list[tuple[int, int]]:
    """The twelve months up to and including today's."""
    return [_month_add(today.year, today.month, -k) for k in range(11, -1, -1)]


def _quarter(month: int) -> int:
    return (month - 1) // 3 + 1


def _slots(year: int, month: int, lo: int, hi: int) -> list[datetime.date]:
    out = []
    for day in range(lo, hi + 1):
        try:
            d = datetime.date(year, month, day)
        except ValueError:
            break
        if d.weekday() in (TUE, THU):
            out.append(d)
    return out


class Planner:
    """Plans the meetings and talks of one branch at a time; all randomness from one ``Random``."""

    def __init__(self, world: World, *, seed: int, today: datetime.date, now: datetime.datetime, creator: int):
        self.world, self.today, self.now, self.creator = world, today, now, creator
        self.rng = random.Random(f"demo-life-{seed}")
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.months = window_months(today)
        self.current = self.months[-1]
        self.ahead_months = [_month_add(*self.current, 1), _month_add(*self.current, 2)]  # only upcoming
        self.window_start = datetime.date(*self.months[0], 1)
        self.quarters: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for y, m in self.months:
            self.quarters.setdefault((y, _quarter(m)), []).append((y, m))
        self.showcase_complete = f"{world.root_code}0101"
        self.showcase_gap = f"{world.root_code}0102"
        if world.root_code == "P":  # province: the accounts live in the first university
            self.showcase_complete, self.showcase_gap = "P010101", "P010102"
        self.college_theme_months = self.months[-4:-2]  # the college publishes two recent months
        self._used: set[datetime.date] = set()
        self.profiles: dict[int, str] = {}
        self.joint_host: dict[tuple[int, tuple[int, int]], Branch] = {}
        self.joint_guest: set[tuple[int, tuple[int, int]]] = set()
        self._assign_profiles()

    # -- who is behind, who meets jointly --
    def _assign_profiles(self) -> None:
        rng = self.rng
        for b in self.world.branches:
            roll = rng.random()
            if b.code == self.showcase_complete:
                profile = "complete"
            elif b.code == self.showcase_gap:
                profile = "one_gap"
            elif roll < 0.05:
                profile = "behind"
            elif roll < 0.20:
                profile = "spotty"
            else:
                profile = "complete"
            self.profiles[b.id] = profile
        showcase = {self.showcase_complete, self.showcase_gap}
        by_parent: dict[int | None, list[Branch]] = {}
        for b in self.world.branches:
            if self.profiles[b.id] == "complete" and b.code not in showcase and b.members:
                by_parent.setdefault(b.parent_id, []).append(b)
        complete = [b.id for b in self.world.branches if self.profiles[b.id] == "complete" and b.code not in showcase]
        self.cancelling = set(rng.sample(complete, k=min(len(complete), max(2, round(len(complete) * 0.04)))))
        pairs = [(s[i], s[i + 1]) for s in by_parent.values() for i in range(0, len(s) - 1, 2)]
        wanted = max(3, round(len(self.world.branches) * 0.01))
        past_months = self.months[:-1]
        for host, guest in rng.sample(pairs, k=min(wanted, len(pairs))):
            month = rng.choice(past_months[-6:])
            self.joint_host[(host.id, month)] = guest
            self.joint_guest.add((guest.id, month))

    def _skips(self, b: Branch) -> set:
        rng, past = self.rng, self.months[:-1]
        profile = self.profiles[b.id]
        skip: set = set()
        quarters = list(self.quarters)
        if profile == "one_gap":
            skip.add(("themed_day", past[-2]))
        elif profile == "spotty":
            for month in rng.sample(past, k=rng.randint(1, 3)):
                skip.add((rng.choice(MONTH_KINDS), month))
                if rng.random() < 0.5:
                    skip.update(("group", g.id, month) for g in b.groups)
            if rng.random() < 0.3:
                skip.add(("lecture", rng.choice(quarters[:-1])))
        elif profile == "behind":
            for month in rng.sample(past, k=rng.randint(3, 5)):
                skip.add(("themed_day", month))
                skip.update(("group", g.id, month) for g in b.groups)
            for month in rng.sample(past, k=rng.randint(2, 3)):
                skip.add(("committee", month))
            skip.add(("general", quarters[-1]))  # no general meeting this quarter
            if len(quarters) > 1:
                skip.add(("general", quarters[-2]))
                skip.add(("lecture", rng.choice(quarters[:-1])))
        return skip

    # -- dates --
    def _day(
        self, year: int, month: int, lo: int, hi: int, *, past_share: float = 0.25, ahead: bool = False
    ) -> datetime.date | None:
        """A Tuesday or Thursday (not a public holiday, not one this branch already uses, never
        today) between days ``lo`` and ``hi`` of the month. In the current month the meeting is
        mostly not yet held: later this month (scheduled) or not planned yet (None). ``ahead``:
        prefer later this month, else a day already past (secretary1's complete branch)."""
        slots = [d for d in _slots(year, month, lo, hi) if d != self.today and (d.month, d.day) not in HOLIDAYS]
        slots = [d for d in slots if d not in self._used] or slots
        if (year, month) == self.current:
            before = [d for d in slots if d < self.today]
            rest = _slots(year, month, max(lo, self.today.day + 1), 31)
            after = [d for d in rest if (d.month, d.day) not in HOLIDAYS and d not in self._used]
            if ahead:
                slots = after or before
            elif before and self.rng.random() < past_share:
                slots = before
            else:
                slots = after
        if not slots:
            return None
        day = self.rng.choice(slots)
        self._used.add(day)
        return day

    def _at(self, day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, self.rng.choice(TIMES), tzinfo=self.tz)

    # -- one branch --
    def branch(self, b: Branch) -> tuple[list[MeetingPlan], list[TalkPlan]]:
        if not b.members:
            return [], []
        rng = self.rng
        self._used = set()
        skip = self._skips(b)
        showcase = b.code == self.showcase_complete
        creator = b.secretary_user or self.creator
        host_pool = b.committee or b.full or b.members
        plans: list[MeetingPlan] = []

        def add(kind, day, title, *, scope=InviteeScope.WHOLE_UNIT, group=None, invited=None, unit=None, **extra):
            if day is None:
                return None
            pool = group.full or group.members if group else host_pool
            host = pool[0] if kind in ("lecture", "org_life", "general") or rng.random() < 0.8 else rng.choice(pool)
            recorder = pool[1] if len(pool) > 1 and pool[1] != host else rng.choice(pool)
            online = rng.random() < 0.1
            place = "线上" if online else rng.choice(words.PLACES)
            plan = MeetingPlan(
                unit=unit or b.id,
                kind=kind,
                title=title,
                starts_at=self._at(day),
                status=MeetingStatus.SCHEDULED,
                place=place,
                online_link=words.ONLINE_LINK.format(number=rng.randrange(10**8, 10**9)) if online else "",
                host=host,
                recorder=recorder,
                agenda=words.AGENDA[kind],
                scope=scope,
                group=group.id if group else None,
                creator=creator,
                **extra,
            )
            plan.invitees = [InviteePlan(person=p, status=AttendanceStatus.INVITED) for p in invited or b.members]
            plans.append(plan)
            return plan

        for y, m in [*self.months, *self.ahead_months]:
            upcoming_only = (y, m) in self.ahead_months
            if b.has_committee and ("committee", (y, m)) not in skip:
                add(
                    "committee",
                    self._day(y, m, 1, 12, past_share=0.35, ahead=showcase),
                    f"{y}年{m}月支委会",
                    scope=InviteeScope.COMMITTEE,
                    invited=b.committee,
                    topic="研究部署本月支部工作",
                )
            if ("themed_day", (y, m)) not in skip and (b.id, (y, m)) not in self.joint_guest:
                theme_title = "" if upcoming_only else self._theme_title(b, y, m)
                guest = self.joint_host.get((b.id, (y, m)))
                title = f"{m}月主题党日：{theme_title}" if theme_title else f"{m}月主题党日"
                invited = b.members
                if guest is not None:
                    title = f"{m}月联合主题党日：{theme_title}"
                    invited = b.members + [p for p in guest.members if p not in set(b.members)]
                add(
                    "themed_day",
                    self._day(y, m, 8, 25, ahead=showcase),
                    title,
                    invited=invited,
                    topic=theme_title,
                    theme_month=None if upcoming_only else datetime.date(y, m, 1),
                    theme_title=theme_title,
                    joint=[guest.id] if guest is not None else [],
                )
            if upcoming_only:
                continue
            for g in b.groups:
                if ("group", g.id, (y, m)) not in skip and g.members:
                    add(
                        "group",
                        self._day(y, m, 5, 28),
                        f"{g.name}{m}月党小组会",
                        scope=InviteeScope.GROUP,
                        group=g,
                        invited=g.members,
                        unit=g.id,
                        topic="学习本月材料，交流思想工作情况",
                    )
        for (y, q), months in self.quarters.items():
            if ("general", (y, q)) not in skip:
                y1, m1 = rng.choice(months)
                add(
                    "general",
                    self._day(y1, m1, 5, 25),
                    f"{y}年第{q}季度支部党员大会",
                    topic="通报支部工作，审议有关事项",
                )
            if ("lecture", (y, q)) not in skip:
                y1, m1 = rng.choice(months)
                lecture = rng.choice(words.LECTURE_TOPICS)
                add("lecture", self._day(y1, m1, 5, 28), f"{y}年第{q}季度党课：{lecture}", topic=lecture)
        self._org_life(b, add)

        past = [p for p in plans if p.starts_at.date() < self.today]
        future = sorted((p for p in plans if p.starts_at.date() > self.today), key=lambda p: p.starts_at)
        branch_future = [p for p in future if p.unit == b.id]
        keep = branch_future[: rng.choice((2, 3))]
        if b.code == self.showcase_complete:
            themed = [p for p in branch_future if p.kind == "themed_day"]
            if themed and themed[0] not in keep:
                keep.append(themed[0])
        seen_groups = set()
        for p in future:
            if p.unit != b.id and p.unit not in seen_groups:
                seen_groups.add(p.unit)
                keep.append(p)
        for p in past:
            self._held(p)
        for p in keep:
            self._scheduled(p)
        cancelled = self._cancellations(b, past)
        return past + cancelled + keep, self._talks(b, creator)

    def _theme_title(self, b: Branch, y: int, m: int) -> str:
        if (
            self.world.college_id is not None
            and (y, m) in self.college_theme_months
            and b.parent_id == self.world.college_id
        ):
            return words.COLLEGE_THEMES[self.college_theme_months.index((y, m))][0]
        return words.MONTHLY_THEMES[m][0]

    def _org_life(self, b: Branch, add) -> None:
        """Last December's meeting (if in the window), and this year's for about half the branches
        once the fourth quarter has begun."""
        last_december = (self.today.year - 1, 12)
        if last_december in self.months and self.profiles[b.id] != "behind":
            add(
                "org_life",
                self._day(*last_december, 10, 28),
                f"{self.today.year - 1}年度组织生活会",
                topic="对照检查，民主评议党员",
            )
        if self.today.month >= 10 and self.rng.random() < 0.5:
            month = self.rng.choice([(self.today.year, m) for m in range(10, self.today.month + 1)])
            add(
                "org_life",
                self._day(*month, 5, 28, past_share=0.7),
                f"{self.today.year}年度组织生活会",
                topic="对照检查，民主评议党员",
            )

    # -- statuses, attendance, minutes --
    def _held(self, p: MeetingPlan) -> None:
        rng = self.rng
        rate = rng.uniform(0.85, 0.95)
        counts = Counter()
        for inv in p.invitees:
            flag = self.world.flags.get(inv.person)
            roll = rng.random()
            if flag == "lost":
                inv.status = AttendanceStatus.ABSENT
            elif flag == "abroad":
                inv.status, inv.reason = AttendanceStatus.LEAVE_APPROVED, words.ABROAD_LEAVE
            elif roll < rate or (flag == "user" and roll < 0.97):
                inv.status = AttendanceStatus.PRESENT
                inv.checked_in_at = p.starts_at + datetime.timedelta(minutes=rng.randint(-15, 5))
                inv.method = CheckInMethod.QR if rng.random() < 0.75 else CheckInMethod.CODE
            elif roll < rate + (1 - rate) * 0.7:
                inv.status, inv.reason = AttendanceStatus.LEAVE_APPROVED, rng.choice(words.LEAVE_REASONS)
            else:
                inv.status = AttendanceStatus.ABSENT
            counts[inv.status] += 1
        present = [i.person for i in p.invitees if i.status == AttendanceStatus.PRESENT]
        speaker = self.world.names.get(rng.choice(present) if present else p.host, "")
        p.minutes = words.MINUTES[p.kind].format(
            invited=len(p.invitees),
            present=counts[AttendanceStatus.PRESENT],
            leave=counts[AttendanceStatus.LEAVE_APPROVED],
            absent=counts[AttendanceStatus.ABSENT],
            speaker=speaker,
            host=self.world.names.get(p.host, ""),
            lecture=p.topic,
            theme=p.theme_title or "本月学习",
            material=rng.choice(words.THEME_MATERIALS),
        )
        p.decisions = rng.choice(words.DECISIONS[p.kind])
        p.status = (
            MeetingStatus.ARCHIVED if p.starts_at < self.now - datetime.timedelta(days=30) else MeetingStatus.HELD
        )

    def _scheduled(self, p: MeetingPlan) -> None:
        p.status = MeetingStatus.SCHEDULED
        if len(p.invitees) > 4 and self.rng.random() < 0.2:
            inv = self.rng.choice(p.invitees)
            if self.world.flags.get(inv.person) != "user":
                inv.status, inv.reason = AttendanceStatus.LEAVE_REQUESTED, self.rng.choice(words.LEAVE_REASONS)

    def _cancellations(self, b: Branch, past: list[MeetingPlan]) -> list[MeetingPlan]:
        if b.id not in self.cancelling:
            return []
        week = datetime.timedelta(days=7)
        themed = [
            p for p in past if p.kind == "themed_day" and not p.joint and (p.starts_at - week).day < p.starts_at.day
        ]
        if not themed:
            return []
        held = self.rng.choice(themed)
        day = held.starts_at - week
        return [
            MeetingPlan(
                unit=held.unit,
                kind=held.kind,
                title=held.title,
                topic=held.topic,
                theme_month=held.theme_month,
                starts_at=day,
                status=MeetingStatus.CANCELLED,
                place=held.place,
                host=held.host,
                recorder=held.recorder,
                agenda=held.agenda,
                cancel_reason=self.rng.choice(words.CANCEL_REASONS),
                creator=held.creator,
            )
        ]

    def _talks(self, b: Branch, creator: int) -> list[TalkPlan]:
        if not b.committee:
            return []
        rng = self.rng
        last = self.today - datetime.timedelta(days=1)
        span = (last - self.window_start).days
        coverage = 1.0 if b.code == self.showcase_complete else 0.9
        talks = []
        for person in b.members:
            if rng.random() >= coverage:
                continue
            interviewers = [c for c in b.committee if c != person]
            if not interviewers:
                continue
            talks.append(
                TalkPlan(
                    unit=b.id,
                    interviewer=rng.choice(interviewers),
                    interviewee=person,
                    held_on=self.window_start + datetime.timedelta(days=rng.randint(0, span)),
                    topic=rng.choice(words.TALK_TOPICS),
                    summary=rng.choice(words.TALK_SUMMARIES),
                    creator=creator,
                )
            )
        return talks


def plan_life(world: World, *, seed: int, today: datetime.date, now: datetime.datetime, creator: int):
    """Yield (meetings, talks) per branch, in branch code order."""
    planner = Planner(world, seed=seed, today=today, now=now, creator=creator)
    for b in world.branches:
        yield planner.branch(b)


def plan_digest(world: World, *, seed: int, today: datetime.date, now: datetime.datetime, creator: int) -> str:
    import hashlib

    h = hashlib.sha256()
    for meetings, _talks in plan_life(world, seed=seed, today=today, now=now, creator=creator):
        for p in meetings:
            h.update(f"{p.unit}|{p.kind}|{p.title}|{int(p.starts_at.timestamp())}|{p.status}\n".encode())
    return h.hexdigest()


# --- writing -----------------------------------------------------------------------------------------


def _themes(world: World, today: datetime.date, creator: int, tz) -> tuple[dict, int]:
    """Publish the monthly themes (root: every month of the window; one college: two months).
    Returns {(unit_id, month): theme_id} and the number created."""
    months = window_months(today)
    wanted = []
    for y, m in months:
        title, description = words.MONTHLY_THEMES[m]
        wanted.append((world.root_id, datetime.date(y, m, 1), title, description))
    if world.college_id is not None:
        for (y, m), (title, description) in zip(months[-4:-2], words.COLLEGE_THEMES, strict=True):
            wanted.append((world.college_id, datetime.date(y, m, 1), title, description))
    existing = {
        (t.unit_id, t.month): t.pk
        for t in MonthlyTheme.objects.filter(unit_id__in=[world.root_id, world.college_id or 0])
    }
    new = []
    for unit_id, month, title, description in wanted:
        if (unit_id, month) in existing:
            continue
        published = datetime.datetime.combine(month - datetime.timedelta(days=5), datetime.time(9, 0), tzinfo=tz)
        materials = "\n".join(words.THEME_MATERIALS[(month.month + k) % len(words.THEME_MATERIALS)] for k in range(2))
        new.append(
            MonthlyTheme(
                unit_id=unit_id,
                month=month,
                title=title,
                description=description,
                materials=materials,
                created_by_id=creator,
                created_at=published,
            )
        )
    MonthlyTheme.objects.bulk_create(new, batch_size=BATCH_SIZE)
    existing.update({(t.unit_id, t.month): t.pk for t in new})
    return existing, len(new)


class _LifeWriter:
    def __init__(self, world: World, themes: dict, now: datetime.datetime):
        self.world, self.themes, self.now = world, themes, now
        self.college_branches = {b.id for b in world.branches if b.parent_id == world.college_id}
        self.group_parent = {g.id: b.id for b in world.branches for g in b.groups}
        self.counts = Counter()
        self.meetings: list[MeetingPlan] = []
        self.talks: list[TalkPlan] = []

    def add(self, meetings, talks) -> None:
        self.meetings.extend(meetings)
        self.talks.extend(talks)
        if len(self.meetings) >= FLUSH_AT:
            self.flush()

    def _theme_id(self, plan: MeetingPlan) -> int | None:
        if plan.theme_month is None:
            return None
        if plan.unit in self.college_branches:
            found = self.themes.get((self.world.college_id, plan.theme_month))
            if found:
                return found
        return self.themes.get((self.world.root_id, plan.theme_month))

    def flush(self) -> None:
        plans, self.meetings = self.meetings, []
        talks, self.talks = self.talks, []
        day = datetime.timedelta(days=1)
        objs = []
        for p in plans:
            ends = p.starts_at + DURATION
            done = p.status in (MeetingStatus.HELD, MeetingStatus.ARCHIVED)
            notified = p.starts_at - datetime.timedelta(days=5)
            objs.append(
                Meeting(
                    unit_id=p.unit,
                    kind=p.kind,
                    title=p.title,
                    topic=p.topic,
                    theme_id=self._theme_id(p),
                    starts_at=p.starts_at,
                    ends_at=ends,
                    place=p.place,
                    online_link=p.online_link,
                    host_id=p.host,
                    recorder_id=p.recorder,
                    agenda=p.agenda,
                    invitee_scope=p.scope,
                    invitee_group_id=p.group,
                    status=p.status,
                    cancel_reason=p.cancel_reason,
                    minutes=p.minutes,
                    decisions=p.decisions,
                    created_by_id=p.creator,
                    created_at=min(notified - day, self.now),
                    notified_at=min(notified, self.now),
                    held_at=ends if done else None,
                    archived_at=(
                        min(ends + datetime.timedelta(days=7), self.now) if p.status == MeetingStatus.ARCHIVED else None
                    ),
                )
            )
        Meeting.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        through = Meeting.joint_units.through
        joint = [through(meeting_id=m.pk, orgunit_id=u) for m, p in zip(objs, plans, strict=True) for u in p.joint]
        through.objects.bulk_create(joint, batch_size=BATCH_SIZE)
        hour = datetime.timedelta(hours=1)
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for m, p in zip(objs, plans, strict=True):
            requested = adapt(min(p.starts_at - day, self.now))
            decided = adapt(min(p.starts_at - day + 2 * hour, self.now))
            for i in p.invitees:
                if i.status == AttendanceStatus.PRESENT:
                    rows.append((m.pk, i.person, i.status, "", None, None, None, adapt(i.checked_in_at), i.method, ""))
                elif i.reason:
                    approved = i.status == AttendanceStatus.LEAVE_APPROVED
                    rows.append(
                        (
                            m.pk,
                            i.person,
                            i.status,
                            i.reason,
                            requested,
                            p.creator if approved else None,
                            decided if approved else None,
                            None,
                            "",
                            "",
                        )
                    )
                else:
                    rows.append((m.pk, i.person, i.status, "", None, None, None, None, "", ""))
                self.counts[f"invitees_{i.status}"] += 1
        _insert_invitees(rows)
        Talk.objects.bulk_create(
            [
                Talk(
                    unit_id=t.unit,
                    interviewer_id=t.interviewer,
                    interviewee_id=t.interviewee,
                    held_on=t.held_on,
                    topic=t.topic,
                    summary=t.summary,
                    created_by_id=t.creator,
                    created_at=min(
                        datetime.datetime.combine(t.held_on, datetime.time(18, 0), tzinfo=self.now.tzinfo), self.now
                    ),
                )
                for t in talks
            ],
            batch_size=BATCH_SIZE,
        )
        self.counts["meetings"] += len(objs)
        self.counts["invitees"] += len(rows)
        self.counts["joint_meetings"] += sum(1 for p in plans if p.joint)
        self.counts["talks"] += len(talks)
        for p in plans:
            self.counts[f"meetings_{p.status}"] += 1


INVITEE_COLUMNS = (
    "meeting_id",
    "person_id",
    "status",
    "leave_reason",
    "leave_requested_at",
    "leave_decided_by_id",
    "leave_decided_at",
    "checked_in_at",
    "check_in_method",
    "manual_reason",
)


def _insert_invitees(rows: list[tuple]) -> None:
    """Invitee rows straight through ``executemany``: at university scale there are ~450,000 of
    them and model instances would triple the time. ``rows`` hold DB-ready values."""
    if not rows:
        return
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Invitee._meta.db_table)} ({', '.join(qn(c) for c in INVITEE_COLUMNS)}) "
        f"VALUES ({', '.join(['%s'] * len(INVITEE_COLUMNS))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def default_creator(root: OrgUnit) -> int | None:
    """The demo organization administrator (org_admin at the root) creates what has no branch secretary."""
    return (
        RoleAssignment.objects.active()
        .filter(role=Role.ORG_ADMIN, unit=root)
        .order_by("id")
        .values_list("user_id", flat=True)
        .first()
    )


def seed_life(root: OrgUnit, *, seed: int, today: datetime.date, now: datetime.datetime, creator: int) -> dict:
    """Write a year of organizational life under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    world = load_world(root)
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    themes, n_themes = _themes(world, today, creator, tz)
    writer = _LifeWriter(world, themes, now)
    for meetings, talks in plan_life(world, seed=seed, today=today, now=now, creator=creator):
        writer.add(meetings, talks)
    writer.flush()
    counts = {"themes": n_themes, **dict(sorted(writer.counts.items()))}
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=MEETINGS_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
