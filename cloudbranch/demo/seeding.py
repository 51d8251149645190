"""Writing the generated demo university to the database, and the demo accounts.

Bulk writes: units level by level (``bulk_create``, then the materialized paths in one
``bulk_update`` per level), people in batches with their ID number encrypted row by row,
``PersonEvent`` "created" rows, committee seats. One audit row ``demo.seed`` holds the counts.
Idempotent: if the root committee's code exists, nothing but missing demo accounts is written
(and a year of organizational life, see ``life.py``, if no meeting exists under the root yet:
a database seeded before meetings existed gets them once, with a ``demo.seed.meetings`` audit row;
likewise two years of dues, see ``fees_demo.py``, if no bill exists under the root yet, with a
``demo.seed.fees`` audit row; and member development cases, transfers, mobile members and thought
reports, see ``development_demo.py``, if no development case exists under the root yet, with a
``demo.seed.development`` audit row; and the learning content with a year of study, quizzes
and points, see ``learning_demo.py``, if no question exists under the root yet, with a
``demo.seed.learning`` audit row; and the communication demo — articles with their review
history and read receipts, feed posts with photos, message threads — see ``news_demo.py``, if no
article exists under the root yet, with a ``demo.seed.news`` audit row).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cloudbranch.accounts.choices import Duty
from cloudbranch.audit.models import AuditEvent
from cloudbranch.audit.services import audit_record
from cloudbranch.core.db import refresh_planner_statistics
from cloudbranch.notifications.choices import Category as NotificationCategory
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import UnitEventKind
from cloudbranch.orgs.locks import lock_org_tree
from cloudbranch.orgs.models import OrgUnit, RoleAssignment, UnitEvent
from cloudbranch.orgs.roles import Role
from cloudbranch.people import crypto, idcard
from cloudbranch.people.choices import Category, CommitteePosition, PersonEventKind, PoliticalStatus
from cloudbranch.people.models import CommitteeMembership, Person, PersonEvent

from . import (
    cockpit_demo,
    democracy_demo,
    development_demo,
    fees_demo,
    learning_demo,
    life,
    news_demo,
    onboarding_demo,
    school_demo,
    service_demo,
    tasks_demo,
)
from .generator import ROOT_CODES, SCALES, Batch, ScaleParams, generate

logger = logging.getLogger(__name__)
BATCH_SIZE = 1000
SEED_ACTION = "demo.seed"


@dataclass
class AccountRow:
    username: str
    role: str
    unit: str
    created: bool


@dataclass
class SeedResult:
    root: OrgUnit
    created: bool
    scale: str
    counts: dict = field(default_factory=dict)
    accounts: list[AccountRow] = field(default_factory=list)
    accounts_refused: bool = False
    existing_scale: str | None = None
    life: dict | None = None  # counts of the year of organizational life written by this run
    life_skipped: bool = False  # no organization administrator account to create the meetings
    fees: dict | None = None  # counts of the two years of dues written by this run
    fees_skipped: bool = False  # no organization administrator account to record them
    development: dict | None = None  # counts of the member development demo written by this run
    development_skipped: bool = False  # no organization administrator account to record it
    learning: dict | None = None  # counts of the learning content and year of study written by this run
    learning_skipped: bool = False  # no organization administrator account to own the question bank
    news: dict | None = None  # counts of the communication demo (articles, feed, board) written by this run
    news_skipped: bool = False  # no organization administrator account to publish them
    service: dict | None = None  # counts of the volunteering demo (posts, wishes, partnerships) written by this run
    democracy: dict | None = None  # counts of the democracy demo (elections, appraisals, awards) written by this run
    school: dict | None = None  # counts of the Party school demo (classes, students, certificates) by this run
    tasks: dict | None = None  # counts of the top-down tasks demo written by this run
    onboarding: dict | None = None  # the invitation batch sent by this run
    cockpit: dict | None = None  # metrics recompute, assessment and warnings of this run (None: up to date)
    foreign_root: bool = False  # the root code is taken by a committee seed_demo did not create


def accounts_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "DEMO_ALLOW_WITHOUT_DEBUG", False))


def seeded_root(scale: str) -> OrgUnit | None:
    return OrgUnit.objects.filter(code=ROOT_CODES[scale], parent__isnull=True).first()


def _seed_event(root: OrgUnit) -> dict | None:
    event = (
        AuditEvent.objects.filter(action=SEED_ACTION, target_type="orgs.orgunit", target_id=str(root.pk))
        .order_by("id")
        .first()
    )
    return (event.changes or {}) if event else None


def _existing_scale(root: OrgUnit) -> str | None:
    changes = _seed_event(root)
    return changes.get("scale") if changes is not None else None


def _life_now(today: datetime.date) -> datetime.datetime:
    """Now, or noon of ``today`` when seeding as of another day (tests); in the project's time
    zone either way, as the parts build their times of day with this value's ``tzinfo``."""
    if today == timezone.localdate():
        return timezone.localtime()
    return datetime.datetime.combine(today, datetime.time(12, 0), tzinfo=timezone.get_current_timezone())


# The domain parts of the demo in the order ``seed`` runs them (``_seed_<part>``); the last one
# recomputes the cockpit's figures from everything before it.
PARTS = (
    "life",
    "fees",
    "development",
    "learning",
    "news",
    "service",
    "democracy",
    "school",
    "tasks",
    "onboarding",
    "cockpit",
)


def _seed_part(root: OrgUnit, *, exists, run, seed: int, today: datetime.date, units: bool = True):
    """Seed one part of the demo (``run``) under ``root`` unless ``exists(root)`` says it is there
    already. Returns (counts or None, skipped for want of an administrator account)."""
    if exists(root):
        return None, False
    creator = life.default_creator(root)
    if creator is None:
        return None, True
    extra = {"demo": demo_units(root, province=_is_province(root))} if units else {}
    return run(root, seed=seed, today=today, now=_life_now(today), creator=creator, **extra), False


def _seed_life(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """A year of meetings and talks, unless some meeting exists there already."""
    return _seed_part(root, exists=life.has_meetings, run=life.seed_life, seed=seed, today=today, units=False)


def _seed_fees(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Two years of dues, unless some bill exists there already."""
    return _seed_part(root, exists=fees_demo.has_bills, run=fees_demo.seed_fees, seed=seed, today=today)


def _seed_development(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Development cases, transfers, mobile members and thought reports, unless some case exists."""
    return _seed_part(
        root, exists=development_demo.has_cases, run=development_demo.seed_development, seed=seed, today=today
    )


def _seed_learning(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Learning content, a year of study and quizzes and the points ledger, unless some question
    exists. Runs after the meetings (attendance earns points)."""
    return _seed_part(root, exists=learning_demo.has_learning, run=learning_demo.seed_learning, seed=seed, today=today)


def _seed_news(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Articles, read receipts, feed posts with photos and message threads, unless some article
    exists. Runs after learning (both keep the points tallies)."""
    return _seed_part(root, exists=news_demo.has_news, run=news_demo.seed_news, seed=seed, today=today)


def _seed_service(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Service posts, micro-wishes and partnerships, unless some service post exists. Runs after
    the news (joint activities link feed posts and meetings)."""
    return _seed_part(root, exists=service_demo.has_service, run=service_demo.seed_service, seed=seed, today=today)


def _seed_democracy(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Elections, democratic appraisals and award rounds, unless some election exists."""
    return _seed_part(
        root, exists=democracy_demo.has_democracy, run=democracy_demo.seed_democracy, seed=seed, today=today
    )


def _seed_school(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Party school classes of every kind with students in every state, unless some class exists.
    Runs after development (candidates' training step) and learning (library resources, exams)."""
    return _seed_part(root, exists=school_demo.has_school, run=school_demo.seed_school, seed=seed, today=today)


def _seed_tasks(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """Tasks issued by the organization department and a college, targets in every state, unless
    some task exists under the root."""
    return _seed_part(root, exists=tasks_demo.has_tasks, run=tasks_demo.seed_tasks, seed=seed, today=today)


def _seed_onboarding(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """One invitation batch already sent (roster people of a branch invited to activate), unless
    some batch exists under the root."""
    return _seed_part(root, exists=onboarding_demo.has_onboarding, run=onboarding_demo.seed, seed=seed, today=today)


def activation_tries(root: OrgUnit) -> list[dict]:
    """Three roster people of the demo's first branch without an account, with what they type on
    /activate/ (name, ID number, staff number): printed by ``seed_demo`` at every run."""
    return onboarding_demo.activation_candidates(
        root, unit=demo_units(root, province=_is_province(root)).get("branch1")
    )


def _seed_cockpit(root: OrgUnit, *, seed: int, today: datetime.date) -> tuple[dict | None, bool]:
    """The LAST step: the full metrics recompute when the store is older than the seed, then the
    assessment (needs the figures) once, then the warnings refresh."""
    return _seed_part(root, exists=cockpit_demo.up_to_date, run=cockpit_demo.seed_cockpit, seed=seed, today=today)


def seed(
    *,
    scale: str = "demo",
    seed: int = 1,
    params: ScaleParams | None = None,
    today: datetime.date | None = None,
    with_accounts: bool = True,
) -> SeedResult:
    """Create the demo tree, roster and accounts, unless the root committee already exists.

    ``params`` overrides the sizes of ``scale`` (tests use a small university). Demo accounts
    are created only when ``accounts_allowed()``; otherwise ``accounts_refused`` is set.
    """
    today = today or timezone.localdate()
    params = params or SCALES[scale]
    make_accounts = with_accounts and accounts_allowed()
    with transaction.atomic():
        lock_org_tree()
        root = seeded_root(scale)
        if root is not None:
            event = _seed_event(root)
            existing = event.get("scale") if event is not None else None
            if existing is None:  # a real committee that happens to use this code: touch nothing
                return SeedResult(root=root, created=False, scale=scale, foreign_root=True)
            accounts = ensure_demo_accounts(root, province=_is_province(root)) if make_accounts else []
            dev_counts, dev_skipped = _seed_development(root, seed=event.get("seed", seed), today=today)
            life_counts, life_skipped = _seed_life(root, seed=event.get("seed", seed), today=today)
            fees_counts, fees_skipped = _seed_fees(root, seed=event.get("seed", seed), today=today)
            learning_counts, learning_skipped = _seed_learning(root, seed=event.get("seed", seed), today=today)
            news_counts, news_skipped = _seed_news(root, seed=event.get("seed", seed), today=today)
            service_counts, _ = _seed_service(root, seed=event.get("seed", seed), today=today)
            democracy_counts, _ = _seed_democracy(root, seed=event.get("seed", seed), today=today)
            school_counts, _ = _seed_school(root, seed=event.get("seed", seed), today=today)
            tasks_counts, _ = _seed_tasks(root, seed=event.get("seed", seed), today=today)
            onboarding_counts, _ = _seed_onboarding(root, seed=event.get("seed", seed), today=today)
            cockpit_counts, _ = _seed_cockpit(root, seed=event.get("seed", seed), today=today)  # keep last
            created = [a.username for a in accounts if a.created]
            if created:
                sent = seed_notifications(root, created, province=_is_province(root))
                audit_record(
                    actor=None,
                    action=SEED_ACTION,
                    target=root,
                    changes={"scale": existing, "accounts_created": created, "notifications": sent},
                )
            if life_counts or fees_counts or dev_counts or learning_counts or news_counts or service_counts:
                refresh_planner_statistics()
            return SeedResult(
                root=root,
                created=False,
                scale=scale,
                accounts=accounts,
                accounts_refused=with_accounts and not make_accounts,
                existing_scale=existing,
                life=life_counts,
                life_skipped=life_skipped,
                fees=fees_counts,
                fees_skipped=fees_skipped,
                development=dev_counts,
                development_skipped=dev_skipped,
                learning=learning_counts,
                learning_skipped=learning_skipped,
                news=news_counts,
                news_skipped=news_skipped,
                service=service_counts,
                democracy=democracy_counts,
                school=school_counts,
                tasks=tasks_counts,
                onboarding=onboarding_counts,
                cockpit=cockpit_counts,
            )

        writer = _Writer(now=timezone.now())
        for batch in generate(params, seed=seed, today=today, root_code=ROOT_CODES[scale]):
            writer.write(batch)
        root = writer.units[ROOT_CODES[scale]]
        accounts = ensure_demo_accounts(root, province=params.universities > 1) if make_accounts else []
        created = [a.username for a in accounts if a.created]
        sent = seed_notifications(root, created, province=params.universities > 1)
        counts = {**writer.counts, "accounts": len(created), "notifications": sent}
        audit_record(actor=None, action=SEED_ACTION, target=root, changes={"scale": scale, "seed": seed, **counts})
        # Development first: it turns freshmen into applicants and moves a few members off the
        # roster (transfers), which the meetings and dues then see.
        dev_counts, dev_skipped = _seed_development(root, seed=seed, today=today)
        life_counts, life_skipped = _seed_life(root, seed=seed, today=today)
        fees_counts, fees_skipped = _seed_fees(root, seed=seed, today=today)
        learning_counts, learning_skipped = _seed_learning(root, seed=seed, today=today)
        news_counts, news_skipped = _seed_news(root, seed=seed, today=today)
        service_counts, _ = _seed_service(root, seed=seed, today=today)
        democracy_counts, _ = _seed_democracy(root, seed=seed, today=today)
        school_counts, _ = _seed_school(root, seed=seed, today=today)
        tasks_counts, _ = _seed_tasks(root, seed=seed, today=today)
        onboarding_counts, _ = _seed_onboarding(root, seed=seed, today=today)
        cockpit_counts, _ = _seed_cockpit(root, seed=seed, today=today)  # keep last: reads every part
    refresh_planner_statistics()
    return SeedResult(
        root=root,
        created=True,
        scale=scale,
        counts=counts,
        accounts=accounts,
        accounts_refused=with_accounts and not make_accounts,
        life=life_counts,
        life_skipped=life_skipped,
        fees=fees_counts,
        fees_skipped=fees_skipped,
        development=dev_counts,
        development_skipped=dev_skipped,
        learning=learning_counts,
        learning_skipped=learning_skipped,
        news=news_counts,
        news_skipped=news_skipped,
        service=service_counts,
        democracy=democracy_counts,
        school=school_counts,
        tasks=tasks_counts,
        onboarding=onboarding_counts,
        cockpit=cockpit_counts,
    )


def _is_province(root: OrgUnit) -> bool:
    return root.code == ROOT_CODES["province"]


class _Writer:
    def __init__(self, *, now):
        self.now = now
        self.units: dict[str, OrgUnit] = {}
        self.counts = {"units": 0, "people": 0, "committee_memberships": 0}
        self.existing_hashes: set[str] | None = None
        if Person.objects.exists():  # someone else's roster: avoid their ID numbers
            self.existing_hashes = set(Person.objects.values_list("id_number_hash", flat=True))

    def write(self, batch: Batch) -> None:
        self._units(batch)
        people = self._people(batch)
        seats = [
            CommitteeMembership(
                unit=self.units[unit.code], person=people[idx], position=position, started_on=unit.term_started_on
            )
            for unit, idx, position in batch.committees
        ]
        CommitteeMembership.objects.bulk_create(seats, batch_size=BATCH_SIZE)
        self.counts["committee_memberships"] += len(seats)

    def _units(self, batch: Batch) -> None:
        levels = sorted({u.level for u in batch.units})
        for level in levels:
            objs = []
            for spec in (u for u in batch.units if u.level == level):
                parent = self.units[spec.parent] if spec.parent else None
                objs.append(
                    OrgUnit(
                        code=spec.code,
                        name=spec.name,
                        kind=spec.kind,
                        parent=parent,
                        path=f"/seed-{spec.code}/",
                        depth=parent.depth + 1 if parent else 0,
                        sort_order=spec.sort_order,
                        founded_on=spec.founded_on,
                        term_years=spec.term_years,
                        term_started_on=spec.term_started_on,
                        created_at=self.now,
                    )
                )
            OrgUnit.objects.bulk_create(objs, batch_size=BATCH_SIZE)
            for unit in objs:
                unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
                self.units[unit.code] = unit
            OrgUnit.objects.bulk_update(objs, ["path"], batch_size=BATCH_SIZE)
            UnitEvent.objects.bulk_create(
                [
                    UnitEvent(
                        unit=u,
                        kind=UnitEventKind.CREATED,
                        occurred_at=self.now,
                        details={"code": u.code, "name": u.name, "kind": u.kind, "source": "seed_demo"},
                    )
                    for u in objs
                ],
                batch_size=BATCH_SIZE,
            )
            self.counts["units"] += len(objs)

    def _people(self, batch: Batch) -> list[Person]:
        out: list[Person] = []
        labels = dict(PoliticalStatus.choices)
        for start in range(0, len(batch.people), BATCH_SIZE):
            chunk = []
            for spec in batch.people[start : start + BATCH_SIZE]:
                person = Person(
                    name=spec.name,
                    gender=spec.gender,
                    ethnicity=spec.ethnicity,
                    birth_date=spec.birth_date,
                    phone=spec.phone,
                    staff_number=spec.staff_number,
                    category=spec.category,
                    college=spec.college,
                    department=spec.department,
                    education=spec.education,
                    political_status=spec.political_status,
                    unit=self.units[spec.unit],
                    is_mobile=spec.is_mobile,
                    is_lost_contact=spec.is_lost_contact,
                    is_abroad=spec.is_abroad,
                    created_at=self.now,
                    **spec.dates,
                )
                person.set_id_number(self._free_id_number(spec))
                chunk.append(person)
            Person.objects.bulk_create(chunk)
            PersonEvent.objects.bulk_create(
                [
                    PersonEvent(
                        person=p,
                        kind=PersonEventKind.CREATED,
                        occurred_at=self.now,
                        new_value=str(labels[p.political_status]),
                        details={"unit": p.unit_id, "source": "seed_demo"},
                    )
                    for p in chunk
                ]
            )
            out.extend(chunk)
        self.counts["people"] += len(out)
        return out

    def _free_id_number(self, spec) -> str:
        """The generated number, or a neighbour of it if a roster already in the database holds it."""
        value = spec.id_number
        if self.existing_hashes is None:
            return value
        sequence = spec.sequence
        while crypto.search_hash(value) in self.existing_hashes:
            sequence += 1
            value = idcard.make(spec.region, spec.birth_date, sequence, spec.gender)
        self.existing_hashes.add(crypto.search_hash(value))
        return value


# --- demo accounts ---------------------------------------------------------------------------------

DUTY_LABELS = dict(Duty.choices)
ROLE_LABELS = dict(Role.choices)


def demo_units(root: OrgUnit, *, province: bool) -> dict[str, OrgUnit]:
    """The units the demo accounts are attached to: the first college of the (first) university
    and its first two branches, which are siblings."""
    university = f"{root.code}01" if province else root.code
    codes = {"college": f"{university}01", "branch1": f"{university}0101", "branch2": f"{university}0102"}
    found = {u.code: u for u in OrgUnit.objects.filter(code__in=codes.values())}
    return {key: found[code] for key, code in codes.items() if code in found}


def _free_full_member(queryset):
    return (
        queryset.filter(political_status=PoliticalStatus.FULL, user__isnull=True, roster_status="active")
        .order_by("id")
        .first()
    )


def ensure_demo_accounts(root: OrgUnit, *, province: bool = False) -> list[AccountRow]:
    """Create whichever demo accounts are missing; leave existing ones untouched.

    Returns one row per account for the logins table. Callers check ``accounts_allowed()``.
    """
    User = get_user_model()
    units = demo_units(root, province=province)
    college, branch1, branch2 = units.get("college"), units.get("branch1"), units.get("branch2")
    encoded: list[str] = []

    def password() -> str:
        if not encoded:  # one hash for all: the demo password is public anyway, hashing is slow
            encoded.append(make_password(settings.DEMO_PASSWORD))
        return encoded[0]

    def branch_secretary_person(branch):
        seat = (
            CommitteeMembership.objects.filter(
                unit=branch,
                position=CommitteePosition.SECRETARY,
                ended_on__isnull=True,
                person__user__isnull=True,
                person__political_status=PoliticalStatus.FULL,
            )
            .select_related("person")
            .order_by("id")
            .first()
        )
        return seat.person if seat else _free_full_member(Person.objects.filter(unit=branch))

    def fee_collector_person(branch):
        """A full member of the branch committee other than the secretary (the organization officer
        usually collects dues), else any full member without an account."""
        seat = (
            CommitteeMembership.objects.filter(
                unit=branch,
                ended_on__isnull=True,
                person__user__isnull=True,
                person__political_status=PoliticalStatus.FULL,
                person__roster_status="active",
            )
            .exclude(position=CommitteePosition.SECRETARY)
            .select_related("person")
            .order_by("id")
            .first()
        )
        return seat.person if seat else _free_full_member(Person.objects.filter(unit=branch))

    def activist_person(branch):
        """An activist of the branch (a newcomer who follows their own progress), else an applicant."""
        for status in (PoliticalStatus.ACTIVIST, PoliticalStatus.APPLICANT):
            person = (
                Person.objects.filter(unit=branch, political_status=status, user__isnull=True, roster_status="active")
                .order_by("id")
                .first()
            )
            if person is not None:
                return person
        return None

    specs = [
        ("admin", "组织部管理员", Duty.NONE, Role.ORG_ADMIN, root, None),
        ("sysadmin", "系统管理员", Duty.SYSTEM, None, None, None),
        ("secadmin", "安全管理员", Duty.SECURITY, None, None, None),
        ("auditor", "审计管理员", Duty.AUDIT, None, None, None),
        (
            "college1",
            None,
            Duty.NONE,
            Role.COMMITTEE_SECRETARY,
            college,
            lambda: _free_full_member(
                Person.objects.filter(
                    unit__path__startswith=college.path, category=Category.FACULTY, committee_memberships__isnull=True
                )
            ),
        ),
        ("secretary1", None, Duty.NONE, Role.BRANCH_SECRETARY, branch1, lambda: branch_secretary_person(branch1)),
        ("secretary2", None, Duty.NONE, Role.BRANCH_SECRETARY, branch2, lambda: branch_secretary_person(branch2)),
        (
            "member1",
            None,
            Duty.NONE,
            Role.MEMBER,
            branch1,
            lambda: _free_full_member(Person.objects.filter(unit=branch1, committee_memberships__isnull=True)),
        ),
        ("collector1", None, Duty.NONE, Role.FEE_COLLECTOR, branch1, lambda: fee_collector_person(branch1)),
        ("activist1", None, Duty.NONE, Role.APPLICANT, branch1, lambda: activist_person(branch1)),
    ]
    rows: list[AccountRow] = []
    for username, display_name, duty, role, unit, find_person in specs:
        if role is not None and unit is None:
            logger.warning("demo unit for %s not found; account skipped", username)
            continue
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            person = find_person() if find_person else None
            user = User(
                username=username,
                display_name=display_name or (person.name if person else username),
                duty=duty,
                password=password(),
            )
            user.save()
            if person is not None:
                Person.objects.filter(pk=person.pk).update(user=user)
        if role is not None and not RoleAssignment.objects.active().filter(user=user, unit=unit, role=role).exists():
            RoleAssignment.objects.create(user=user, unit=unit, role=role)
        label = ROLE_LABELS[role] if role else DUTY_LABELS[duty]
        rows.append(AccountRow(username=username, role=label, unit=unit.name if unit else "—", created=created))
    return rows


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def seed_notifications(root: OrgUnit, usernames: list[str], *, province: bool) -> int:
    """A few inbox messages for newly created demo accounts, so the unread badge shows something."""
    if not usernames:
        return 0
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=usernames)}
    units = demo_units(root, province=province)
    messages = []
    for name in ("admin", "college1", "secretary1", "secretary2", "member1"):
        messages.append(
            (
                name,
                NotificationCategory.SYSTEM,
                "欢迎使用云端支部演示系统",
                "本系统中的党组织、人员和联系方式均为虚构的演示数据。",
                _url("core:home"),
            )
        )
    branch1 = units.get("branch1")
    if branch1 is not None and branch1.term_ends_on:
        messages.append(
            (
                "secretary1",
                NotificationCategory.REMINDER,
                "支部委员会任期即将届满",
                f"{branch1.name}本届任期将于 {branch1.term_ends_on:%Y-%m-%d} 届满，请按期做好换届准备。",
                _url("orgs:unit_detail", branch1.pk),
            )
        )
    for name in ("secretary1", "secretary2"):
        messages.append(
            (
                name,
                NotificationCategory.TASK,
                "请核对本支部人员信息",
                "请核对本支部党员和入党积极分子的基本信息、发展时间节点，发现错误及时更正。",
                _url("people:list"),
            )
        )
    messages.append(
        (
            "college1",
            NotificationCategory.REMINDER,
            "学院有党支部需要关注",
            "部分党支部存在正式党员人数不足、未设支委会或任期届满等情况，请查看组织预警。",
            _url("people:warnings"),
        )
    )
    messages.append(
        (
            "admin",
            NotificationCategory.REMINDER,
            "全校组织预警",
            "请查看各党支部的人数与换届预警。",
            _url("people:warnings"),
        )
    )
    sent = 0
    for name, category, title, body, url in messages:
        if name in users:
            sent += len(notify(recipients=[users[name]], category=category, title=title, body=body, url=url))
    return sent
