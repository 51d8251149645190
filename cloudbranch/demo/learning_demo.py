"""A year of learning and points for the seeded demo tree (issue 5 item 10).

``seed_learning(root, seed=..., today=..., now=..., creator=..., demo=...)`` writes, once:

* the content of ``learning_content.py``: knowledge points, the question bank (owned by the root,
  created by the organization administrator, every key checked with ``grading.check_key``),
  resources in every column published by the root for the whole school and a few by colleges for
  their own subtree (``search_text`` filled with ``learning.search``, the SQLite FTS index written),
  topics with ordered reading lists. Video and audio placeholders carry their duration but no
  media file (the demo ships no media).
* a year of study for Party members and the people in the pipeline (applicant … full), each with
  an activity level (≈15 % very active, most moderate, some inactive; applicants less) and a skill:
  ``StudyProgress`` / ``StudyDay`` rows for completed (and a few half-read) resources, daily quizzes
  (``DailyQuiz`` + ``AnswerRecord`` rows, right or wrong with a probability from the question's
  difficulty, the person's skill, the branch's bias and weak knowledge points, so mastery differs
  between people and branches), the wrong-answer book (``WrongAnswer``, some reviewed and mastered
  through "practice" answers), one closed exam per college (``Paper`` + ``Attempt`` rows graded) and
  one open paper of the school, a contest last month and a current one, a few finished duels, two
  study tasks of secretary1's branch (one closed, one due within the week) and one of the school.
* points exactly as ``points.services.point_award`` would have paid them, in time order: the rules
  as stored (``PointRule``), daily and yearly caps filled exactly, one event per source
  (``daily`` "<quiz>:<index>", ``resource``, ``paper``, ``contest`` entry, ``duel``, ``task``,
  ``meeting`` for every ``present`` invitee of the meetings ``life.py`` seeded), and ``PointTally``
  rows (week from Monday, month, year) equal to the sums of the events.

The member1 login has studied this week (points and a rank in the branch) but has NOT done today's
daily quiz, so a newcomer can try it; activist1 has a moderate history and the open branch task.

Deterministic for a seed, a day and a database (everything is planned from ``random.Random``
seeded by the seed and the day, over rows read in id order). Volume: the demo logins' college keeps
its full history at every scale; elsewhere active days (and exam and contest participation) are
thinned at large scales (``QUIZ_DAY_BUDGET``, ``MIN_SCALE``: at ``university``, ~27,000 learners,
the other colleges keep 3 % of their days) so that this part stays
well under a minute; ids of the rows that other rows point to are allocated up front and the rows
are inserted with ``executemany``, like ``life.py`` and ``fees_demo.py``. One audit row
``demo.seed.learning`` holds the counts.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import math
import random
import time
import wave
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.learning import grading
from cloudbranch.learning.choices import (
    AnswerSource,
    Area,
    AttemptStatus,
    Audience,
    Column,
    ContestMode,
    DuelStatus,
    PaperMode,
    PublishStatus,
    QuestionKind,
    QuestionStatus,
    ResourceKind,
    TaskStatus,
)
from cloudbranch.learning.models import (
    AnswerRecord,
    Attempt,
    Contest,
    ContestEntry,
    DailyQuiz,
    Duel,
    DuelAnswer,
    KnowledgePoint,
    Paper,
    PaperQuestion,
    Question,
    Resource,
    StudyDay,
    StudyProgress,
    StudyTask,
    TaskAssignee,
    Topic,
    TopicItem,
    WrongAnswer,
)
from cloudbranch.meetings.choices import AttendanceStatus
from cloudbranch.meetings.models import Invitee
from cloudbranch.orgs.choices import UnitKind
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import Role
from cloudbranch.people.choices import PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.points.models import PointEvent, PointRule, PointTally

LEARNING_ACTION = "demo.seed.learning"
CHUNK = 2000  # learners planned and written at a time
INSERT_BATCH = 5000
WINDOW_DAYS = 365
QUIZ_DAY_BUDGET = 45_000  # daily quizzes in the whole history, about (larger scales thin)
MIN_SCALE = 0.03
MEDIA = (ResourceKind.VIDEO, ResourceKind.AUDIO)
# Playable files for the media placeholders: a 12-second video made for the demo (assets/) and
# a 20-second chime generated here.
DEMO_MEDIA_SECONDS = {ResourceKind.VIDEO: 12, ResourceKind.AUDIO: 20}
DEMO_VIDEO = Path(__file__).resolve().parent / "assets" / "micro-lesson.webm"


def demo_chime_wav(seconds: int = 20, rate: int = 8000) -> bytes:
    """A quiet chime every 2.5 s (8-bit mono WAV): something the browser's player can play."""
    frames = bytearray()
    for i in range(seconds * rate):
        t = i / rate
        since = t % 2.5
        level = 24 * math.exp(-since * 3) if since < 1.2 else 0.0
        frames.append(128 + int(level * math.sin(2 * math.pi * 523.25 * t)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


def attach_demo_media(resource) -> None:
    """Store the demo file of a video or audio placeholder and point the resource at it."""
    if resource.kind == ResourceKind.VIDEO:
        name, data, content_type = "micro-lesson.webm", DEMO_VIDEO.read_bytes(), "video/webm"
    else:
        name, data, content_type = "chime.wav", demo_chime_wav(DEMO_MEDIA_SECONDS[ResourceKind.AUDIO]), "audio/wav"
    resource.file.save(name, ContentFile(data), save=False)
    Resource.objects.filter(pk=resource.pk).update(file=resource.file.name, content_type=content_type)


PARTY = (PoliticalStatus.FULL, PoliticalStatus.PROBATIONARY)
LEARNER_STATUSES = (
    PoliticalStatus.APPLICANT,
    PoliticalStatus.ACTIVIST,
    PoliticalStatus.CANDIDATE,
    PoliticalStatus.PROBATIONARY,
    PoliticalStatus.FULL,
)
BRANCHES = (UnitKind.BRANCH, UnitKind.GENERAL_BRANCH)
# Mirrors of the constants of the learning area (kept here so the demo does not depend on the
# services' import order); the tests compare them.
DAILY_SIZE = 5
DAILY_KINDS = (QuestionKind.SINGLE, QuestionKind.JUDGE, QuestionKind.MULTIPLE, QuestionKind.FILL, QuestionKind.SINGLE)
CONTEST_BASE, CONTEST_SPEED_BONUS = 10, 5
DUEL_QUESTIONS, DUEL_SECONDS = 5, 15
CONTEST_QUESTIONS, CONTEST_SECONDS = 10, 20
EXAM_RULES = (  # kind, count, points per question: 100 in all
    (QuestionKind.SINGLE, 10, Decimal("4")),
    (QuestionKind.MULTIPLE, 5, Decimal("6")),
    (QuestionKind.JUDGE, 5, Decimal("2")),
    (QuestionKind.FILL, 4, Decimal("5")),
)
PASS_SCORE = Decimal("60")
DIFFICULTY_LOGIT = {1: 2.1, 2: 1.0, 3: -0.1}


def has_learning(root: OrgUnit) -> bool:
    return Question.objects.filter(unit__path__startswith=root.path).exists()


def answer_score(correct: bool, seconds: float, limit: int) -> int:
    """Contest / duel points of one answer (``learning.contests.answer_score``)."""
    if not correct:
        return 0
    left = max(0.0, limit - seconds)
    return CONTEST_BASE + int(CONTEST_SPEED_BONUS * left // limit) if limit else CONTEST_BASE


# --- profiles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    days: tuple[int, int]  # active days in the year (before thinning)
    quiz: float  # chance of a daily quiz on an active day
    reads: tuple[int, ...]  # resources completed on an active day (choice)
    review: float  # chance of reviewing the wrong-answer book on an active day
    exam: float  # chance of sitting the college exam
    contest: float  # chance of entering last month's contest
    current: float  # chance of having entered the current contest already
    task: float  # chance of completing an assigned task in time


PROFILES = {
    "very": Profile((150, 260), 0.85, (0, 1, 1, 1, 2, 2, 3), 0.25, 0.97, 0.8, 0.45, 0.95),
    "moderate": Profile((18, 70), 0.6, (0, 0, 1, 1, 1, 2), 0.06, 0.8, 0.3, 0.1, 0.6),
    "inactive": Profile((0, 6), 0.5, (0, 1), 0.0, 0.35, 0.03, 0.0, 0.08),
}
PROFILE_MIX = {  # very, moderate (rest inactive)
    PoliticalStatus.FULL: (0.16, 0.56),
    PoliticalStatus.PROBATIONARY: (0.2, 0.6),
    PoliticalStatus.CANDIDATE: (0.14, 0.6),
    PoliticalStatus.ACTIVIST: (0.1, 0.55),
    PoliticalStatus.APPLICANT: (0.05, 0.42),
}


# --- the content -----------------------------------------------------------------------------------

COLUMN_ALIASES = {str(label): value for value, label in Column.choices}
AREA_ALIASES = {str(label): value for value, label in Area.choices} | {
    str(label).removesuffix("建设"): value for value, label in Area.choices
}
KIND_ALIASES = {str(label): value for value, label in ResourceKind.choices}
QKIND_ALIASES = {str(label): value for value, label in QuestionKind.choices}
DIFFICULTY_ALIASES = {"easy": 1, "medium": 2, "hard": 3, "容易": 1, "中等": 2, "较难": 3, "难": 3}


# Tags for content without knowledge points (links, media): a keyword of the title, else the area.
TITLE_TAGS = (
    ("三会一课", "组织生活制度"),
    ("宣誓", "发展党员程序"),
    ("义务和权利", "党员的义务和权利"),
    ("廉洁", "廉洁自律"),
    ("四风", "廉洁自律"),
    ("法律法规", "宪法与法律"),
    ("纪委", "党的纪律"),
)
AREA_TAGS = {
    "ideology": "党的理论",
    "organization": "党的基层组织",
    "conduct": "组织生活制度",
    "integrity": "廉洁自律",
    "institution": "宪法与法律",
}


def _default_tags(title: str, summary: str, area: str, known: set[str]) -> list[str]:
    text = f"{title} {summary}"
    tags = [tag for word, tag in TITLE_TAGS if word in text and tag in known]
    if not tags and AREA_TAGS.get(area) in known:
        tags = [AREA_TAGS[area]]
    return list(dict.fromkeys(tags))


def _get(spec, *names, default=None):
    for name in names:
        if isinstance(spec, dict) and name in spec and spec[name] not in (None, ""):
            return spec[name]
    return default


def _kp_names(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    return [str(v).strip() for v in value if str(v).strip()]


def load_content():
    """The content module, checked: (knowledge points [(name, description)], questions, resources,
    topics) as plain dicts. Raises ValueError on a key ``check_key`` rejects."""
    from . import learning_content as content

    kps = []
    for item in content.KNOWLEDGE_POINTS:
        if isinstance(item, str):
            kps.append((item, ""))
        elif isinstance(item, dict):
            kps.append((str(item["name"]), str(_get(item, "description", default=""))))
        else:
            kps.append((str(item[0]), str(item[1]) if len(item) > 1 else ""))
    questions = []
    for n, q in enumerate(content.QUESTIONS, start=1):
        kind = QKIND_ALIASES.get(q["kind"], q["kind"])
        options = list(q.get("options") or [])
        if kind == QuestionKind.JUDGE and not options:
            options = ["正确", "错误"]
        answer = q["answer"]
        errors = grading.check_key(kind, options, answer)
        if errors:
            raise ValueError(f"question {n} ({q['stem'][:30]}): {errors}")
        difficulty = q.get("difficulty") or 2
        difficulty = DIFFICULTY_ALIASES.get(difficulty, difficulty)
        questions.append(
            {
                "kind": kind,
                "stem": q["stem"],
                "options": options,
                "answer": answer,
                "explanation": q.get("explanation") or "",
                "difficulty": int(difficulty),
                "knowledge_points": _kp_names(q.get("knowledge_points")),
                "source": (q.get("source") or "")[:200],
            }
        )
    resources = []
    for r in [*content.RESOURCES, *getattr(content, "LINKS", []), *getattr(content, "MEDIA", [])]:
        default = ResourceKind.LINK if _get(r, "external_url", "url") else ResourceKind.ARTICLE
        kind = KIND_ALIASES.get(_get(r, "kind", default=default), _get(r, "kind", default=default))
        column = _get(r, "column", default=Column.CULTIVATION)
        area = _get(r, "area", default="")
        resources.append(
            {
                "kind": kind,
                "title": r["title"][:200],
                "summary": (_get(r, "summary", default="") or "")[:500],
                "body": _get(r, "body", "html", default="") or "",
                "external_url": _get(r, "external_url", "url", "link", default="") or "",
                "duration_seconds": int(_get(r, "duration_seconds", "duration", default=0) or 0),
                "column": COLUMN_ALIASES.get(column, column),
                "area": AREA_ALIASES.get(area, area),
                "author": (_get(r, "author", "source", default="") or "")[:100],
                "knowledge_points": _kp_names(_get(r, "knowledge_points", "tags", default=[])),
                "min_seconds": _get(r, "min_seconds", default=None),
            }
        )
    known = {name for name, _d in kps}
    for r in resources:
        if not r["knowledge_points"]:
            r["knowledge_points"] = _default_tags(r["title"], r["summary"], r["area"], known)
    topics = []
    for t in getattr(content, "TOPICS", []):
        items = _get(t, "resources", "items", "titles", default=[]) or []
        topics.append(
            {
                "title": t["title"][:200],
                "description": _get(t, "description", "summary", default="") or "",
                "items": list(items),
            }
        )
    return kps, questions, resources, topics


@dataclass
class Q:
    """A question as the planner needs it: right and wrong responses prepared once."""

    id: int
    kind: str
    difficulty: int
    kps: tuple[int, ...]
    right: list
    wrongs: list[list]
    n_options: int


@dataclass
class Res:
    id: int
    kind: str
    college: int | None  # publishing college (audience subtree), None = the school
    published: datetime.datetime
    day: int  # index of the publication day in the window (may be negative)
    min_seconds: int
    duration: int
    media: bool


def _responses(kind: str, options: list, answer: list, pool: list[str], rng: random.Random) -> tuple[list, list]:
    """The right response and one or two wrong ones for a question (all checked with grading)."""
    if kind in (QuestionKind.SINGLE, QuestionKind.JUDGE):
        right = [int(answer[0])]
        wrongs = [[i] for i in range(len(options)) if i != right[0]]
    elif kind == QuestionKind.MULTIPLE:
        right = sorted(int(a) for a in answer)
        others = [i for i in range(len(options)) if i not in right]
        wrongs = [right[:-1], right[1:]]
        if others:
            wrongs.append(sorted(right + [others[0]]))
    else:
        right = [str(accepted[0]) for accepted in answer]
        wrong = []
        for accepted in answer:
            choice = rng.choice(pool) if pool else ""
            normalized = {grading.normalize_text(a) for a in accepted}
            wrong.append(choice if grading.normalize_text(choice) not in normalized else "")
        wrongs = [wrong]
    assert grading.is_correct(kind, answer, right, option_count=len(options) or None)
    wrongs = [w for w in wrongs if not grading.is_correct(kind, answer, w, option_count=len(options) or None)]
    return right, wrongs or [[]]


# --- the world ---------------------------------------------------------------------------------------


@dataclass
class Learner:
    id: int
    unit: int
    branch: int
    college: int | None
    status: str
    user: int | None
    profile: str = "moderate"
    skill: float = 0.0
    bias: dict[int, float] = field(default_factory=dict)  # knowledge point → logit offset
    scale: float = 1.0  # share of the profile's activity kept (thinning outside the demo college)


@dataclass
class World:
    root_id: int
    root_path: str
    learners: list[Learner]
    colleges: list[tuple[int, str]]  # (id, name) of the units right under the root, by code
    branch_of: dict[int, int]
    college_of: dict[int, int | None]
    showcase: int | None
    demo_college: int | None  # the college of the demo logins: full history whatever the scale
    secretary1: int | None  # user id of secretary1's branch secretary
    college_users: dict[int, int]  # college id → committee secretary user
    member1: int | None
    activist1: int | None
    present: dict[int, list[tuple[int, datetime.datetime]]]  # person → [(meeting id, checked in)]


def _db_datetime(value) -> datetime.datetime:
    """A datetime column read raw: aware already (PostgreSQL) or the SQLite text (naive UTC)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def load_world(root: OrgUnit, *, demo: dict[str, OrgUnit]) -> World:
    units = list(
        OrgUnit.objects.filter(path__startswith=root.path)
        .order_by("code")
        .values_list("id", "code", "name", "kind", "parent_id", "depth")
    )
    by_id = {u[0]: u for u in units}
    colleges = [(uid, name) for uid, _c, name, _k, parent, _d in units if parent == root.pk]
    college_ids = {c for c, _n in colleges}

    def walk(uid):
        branch = college = None
        cur = uid
        while cur in by_id:
            _id, _c, _n, kind, parent, _d = by_id[cur]
            if branch is None and kind in BRANCHES + (UnitKind.MOBILE_BRANCH,):
                branch = cur
            if cur in college_ids:
                college = cur
            cur = parent
        return branch or uid, college

    branch_of, college_of = {}, {}
    for uid, *_rest in units:
        branch_of[uid], college_of[uid] = walk(uid)
    learners = [
        Learner(
            id=pid,
            unit=unit_id,
            branch=branch_of.get(unit_id, unit_id),
            college=college_of.get(unit_id),
            status=status,
            user=user_id,
        )
        for pid, unit_id, status, user_id in Person.objects.filter(
            unit__path__startswith=root.path,
            roster_status=RosterStatus.ACTIVE,
            political_status__in=LEARNER_STATUSES,
        )
        .order_by("id")
        .values_list("id", "unit_id", "political_status", "user_id")
    ]
    roles = (
        RoleAssignment.objects.active()
        .filter(role__in=(Role.BRANCH_SECRETARY, Role.COMMITTEE_SECRETARY), unit_id__in=list(by_id))
        .order_by("id")
        .values_list("unit_id", "user_id", "role")
    )
    showcase = demo["branch1"].pk if "branch1" in demo else None
    secretary1 = None
    college_users: dict[int, int] = {}
    for unit_id, user_id, role in roles:
        if role == Role.BRANCH_SECRETARY and unit_id == showcase and secretary1 is None:
            secretary1 = user_id
        elif role == Role.COMMITTEE_SECRETARY and unit_id in college_ids:
            college_users.setdefault(unit_id, user_id)
    people = dict(
        Person.objects.filter(
            user__username__in=("member1", "activist1"), unit__path__startswith=root.path
        ).values_list("user__username", "id")
    )
    present: dict[int, list] = defaultdict(list)
    # Raw rows: ~360,000 at university scale, the ORM's converters would cost seconds.
    query = (
        Invitee.objects.filter(meeting__unit__path__startswith=root.path, status=AttendanceStatus.PRESENT)
        .order_by("meeting_id", "person_id")
        .values_list("person_id", "meeting_id", "checked_in_at", "meeting__starts_at")
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for person_id, meeting_id, checked_in, starts in cursor.fetchall():
            present[person_id].append((meeting_id, _db_datetime(checked_in or starts)))
    return World(
        root_id=root.pk,
        root_path=root.path,
        learners=learners,
        colleges=colleges,
        branch_of=branch_of,
        college_of=college_of,
        showcase=showcase,
        demo_college=demo["college"].pk if "college" in demo else None,
        secretary1=secretary1,
        college_users=college_users,
        member1=people.get("member1"),
        activist1=people.get("activist1"),
        present=present,
    )


# --- low-level writing -------------------------------------------------------------------------------


def _fast_zone(zone, today: datetime.date):
    """A fixed-offset zone equal to ``zone`` around the window when it has no DST change there
    (Asia/Shanghai): the same local times, much cheaper conversions for a million rows."""
    offsets = {
        datetime.datetime.combine(today + datetime.timedelta(days=d), datetime.time(12), tzinfo=zone).utcoffset()
        for d in range(-WINDOW_DAYS - 400, 60, 7)
    }
    return datetime.timezone(offsets.pop()) if len(offsets) == 1 else zone


def _sqlite_dt(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return str(value.astimezone(datetime.UTC).replace(tzinfo=None))


class Sql:
    """``executemany`` inserts with DB-ready values, and ids allocated before the insert (the
    sequences are reset afterwards on PostgreSQL)."""

    def __init__(self):
        ops = connection.ops
        self.dt = ops.adapt_datetimefield_value
        if connection.vendor == "sqlite" and settings.USE_TZ:
            # What the SQLite backend stores (naive UTC, str()), without its per-value checks.
            self.dt = _sqlite_dt
        self.date = ops.adapt_datefield_value
        self.json = lambda v: ops.adapt_json_value(v, None)
        self.dec = lambda v: ops.adapt_decimalfield_value(v, 6, 1)
        self.next_id: dict[type, int] = {}
        self.explicit: set[type] = set()

    def ids(self, model, n: int) -> range:
        if model not in self.next_id:
            self.next_id[model] = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        start = self.next_id[model]
        self.next_id[model] = start + n
        self.explicit.add(model)
        return range(start, start + n)

    def insert(self, model, columns: tuple[str, ...], rows: list[tuple]) -> int:
        if not rows:
            return 0
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        with connection.cursor() as cursor:
            for start in range(0, len(rows), INSERT_BATCH):
                cursor.executemany(sql, rows[start : start + INSERT_BATCH])
        return len(rows)

    def finish(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), sorted(self.explicit, key=lambda m: m.__name__))
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


# --- the seeder --------------------------------------------------------------------------------------


@dataclass
class Session:
    """Something a learner answers at one moment: a daily quiz, an exam attempt, a contest entry,
    a duel side. ``questions`` are ``Q`` rows; the planner fills ``results``."""

    at: datetime.datetime
    kind: str  # daily / exam / contest / duel
    id: int
    questions: list[Q]
    extra: dict = field(default_factory=dict)
    results: list[tuple[list, bool, datetime.datetime, float]] = field(default_factory=list)


class Seeder:
    def __init__(self, world: World, *, seed: int, today: datetime.date, now: datetime.datetime, creator: int):
        self.world, self.today, self.now, self.creator = world, today, now, creator
        self.tz = _fast_zone(timezone.get_current_timezone(), today)
        self.rng = random.Random(f"learning:{seed}:{today.isoformat()}")
        self.start = today - datetime.timedelta(days=WINDOW_DAYS - 1)
        self.sql = Sql()
        self.counts: Counter = Counter()
        self.rules = {
            r.action: (r.points, r.daily_cap, r.yearly_cap)
            for r in PointRule.objects.filter(active=True, points__gt=0).exclude(action="adjustment")
        }
        self.tallies: Counter = Counter()  # (person, period, start) → points
        self.periods: dict[datetime.date, tuple] = {}

    # time helpers -----------------------------------------------------------------------------
    def day(self, index: int) -> datetime.date:
        return self.start + datetime.timedelta(days=index)

    def at(self, index: int, lo_hour: int = 7, hi_hour: int = 22) -> datetime.datetime | None:
        """A moment of day ``index`` between lo and hi o'clock, or None if it would be in the future."""
        d = self.day(index)
        rng = self.rng
        moment = datetime.datetime(
            d.year,
            d.month,
            d.day,
            rng.randint(lo_hour, hi_hour),
            rng.randint(0, 59),
            rng.randint(0, 59),
            tzinfo=self.tz,
        )
        return moment if moment < self.now else None

    # content ----------------------------------------------------------------------------------
    def write_content(self) -> None:
        kps, questions, resources, topics = load_content()
        rng, tz = self.rng, self.tz
        existing = dict(KnowledgePoint.objects.values_list("name", "id"))
        new_kps = [
            KnowledgePoint(name=name[:60], description=desc[:300], position=n)
            for n, (name, desc) in enumerate(kps, start=1)
            if name[:60] not in existing
        ]
        KnowledgePoint.objects.bulk_create(new_kps)
        for kp in new_kps:
            existing[kp.name] = kp.pk
        for q in questions + resources:
            for name in q["knowledge_points"]:
                if name[:60] not in existing:
                    kp = KnowledgePoint.objects.create(name=name[:60], position=len(existing) + 1)
                    existing[kp.name] = kp.pk
                    new_kps.append(kp)
        self.kp_ids = existing
        self.counts["knowledge_points"] = len(new_kps)

        # The question bank, owned by the root.
        bank_created = datetime.datetime.combine(self.start - datetime.timedelta(days=30), datetime.time(9), tzinfo=tz)
        objs = [
            Question(
                unit_id=self.world.root_id,
                kind=q["kind"],
                stem=q["stem"],
                options=q["options"],
                answer=q["answer"],
                explanation=q["explanation"],
                difficulty=q["difficulty"],
                status=QuestionStatus.ACTIVE,
                source=q["source"],
                created_by_id=self.creator,
                created_at=bank_created,
            )
            for q in questions
        ]
        Question.objects.bulk_create(objs, batch_size=1000)
        through = Question.knowledge_points.through
        through.objects.bulk_create(
            [
                through(question_id=o.pk, knowledgepoint_id=existing[name[:60]])
                for o, q in zip(objs, questions, strict=True)
                for name in dict.fromkeys(q["knowledge_points"])
            ],
            batch_size=1000,
        )
        pool = [str(a[0]) for q in questions if q["kind"] == QuestionKind.FILL for a in q["answer"]]
        self.questions: list[Q] = []
        for o, q in zip(objs, questions, strict=True):
            right, wrongs = _responses(q["kind"], q["options"], q["answer"], pool, rng)
            self.questions.append(
                Q(
                    id=o.pk,
                    kind=q["kind"],
                    difficulty=q["difficulty"],
                    kps=tuple(existing[n[:60]] for n in dict.fromkeys(q["knowledge_points"])),
                    right=right,
                    wrongs=wrongs,
                    n_options=len(q["options"]),
                )
            )
        self.by_kind: dict[str, list[Q]] = defaultdict(list)
        for q in self.questions:
            self.by_kind[q.kind].append(q)
        self.counts["questions"] = len(objs)

        # Resources: the root for the whole school; every 6th by a college for its subtree.
        colleges = self.world.colleges
        publishers = [c for c, _n in colleges[:3]]
        objs, plans = [], []
        n = len(resources)
        for i, r in enumerate(resources):
            # Publication: a third before the window, the rest through the year, the last few this week.
            if i < n // 3:
                offset = -rng.randint(5, 200)
            elif i >= n - 4:
                offset = WINDOW_DAYS - 1 - rng.randint(0, 5)
            else:
                offset = int((i - n // 3) * (WINDOW_DAYS - 20) / max(1, n - 4 - n // 3)) + rng.randint(0, 10)
            d = self.day(offset)
            published = datetime.datetime(d.year, d.month, d.day, 9, rng.randint(0, 59), tzinfo=tz)
            if published >= self.now:
                published = self.now - datetime.timedelta(hours=1)
            college = publishers[i % len(publishers)] if publishers and i % 6 == 5 else None
            kind = r["kind"]
            media = kind in MEDIA
            if media:  # the demo media files are short: the duration is theirs
                r = {**r, "duration_seconds": DEMO_MEDIA_SECONDS[kind]}
            body_len = len(r["body"])
            min_seconds = r["min_seconds"] or (60 if kind == ResourceKind.LINK else min(300, max(60, body_len // 8)))
            objs.append(
                Resource(
                    kind=kind,
                    title=r["title"],
                    summary=r["summary"],
                    body=r["body"],
                    external_url=r["external_url"],
                    duration_seconds=r["duration_seconds"] if media else 0,
                    column=r["column"],
                    area=r["area"],
                    unit_id=college or self.world.root_id,
                    audience=Audience.SUBTREE if college else Audience.SCHOOL,
                    status=PublishStatus.PUBLISHED,
                    published_at=published,
                    author=r["author"],
                    min_seconds=int(min_seconds),
                    min_percent=90,
                    created_by_id=self.world.college_users.get(college, self.creator) if college else self.creator,
                    created_at=published - datetime.timedelta(hours=2),
                )
            )
            plans.append((college, offset, published, int(min_seconds), r["duration_seconds"] if media else 0, media))
        Resource.objects.bulk_create(objs)
        for o in objs:
            if o.kind in MEDIA:
                attach_demo_media(o)
        through = Resource.knowledge_points.through
        through.objects.bulk_create(
            [
                through(resource_id=o.pk, knowledgepoint_id=existing[name[:60]])
                for o, r in zip(objs, resources, strict=True)
                for name in dict.fromkeys(r["knowledge_points"])
            ]
        )
        self.resources = [
            Res(id=o.pk, kind=o.kind, college=c, published=p, day=d, min_seconds=ms, duration=dur, media=m)
            for o, (c, d, p, ms, dur, m) in zip(objs, plans, strict=True)
        ]
        self.resource_kps = {
            o.pk: tuple(existing[n[:60]] for n in dict.fromkeys(r["knowledge_points"]))
            for o, r in zip(objs, resources, strict=True)
        }
        self.counts["resources"] = len(objs)
        self.counts["resources_by_colleges"] = sum(1 for r in self.resources if r.college)
        self.counts["media_without_file"] = sum(1 for r in self.resources if r.media)
        self.search_indexed = self._index(objs, resources)

        # Topics: ordered reading lists of school resources.
        by_title = {o.title: o for o in objs if o.audience == Audience.SCHOOL}
        school = [o for o in objs if o.audience == Audience.SCHOOL]
        topic_objs, items = [], []
        for i, t in enumerate(topics):
            picked = []
            for ref in t["items"]:
                found = school[ref] if isinstance(ref, int) and 0 <= ref < len(school) else by_title.get(str(ref))
                if found is not None and found not in picked:
                    picked.append(found)
            if not picked:
                continue
            published = max(o.published_at for o in picked) + datetime.timedelta(hours=1 + i)
            topic_objs.append(
                Topic(
                    unit_id=self.world.root_id,
                    audience=Audience.SCHOOL,
                    title=t["title"],
                    description=t["description"],
                    status=PublishStatus.PUBLISHED,
                    published_at=min(published, self.now),
                    created_by_id=self.creator,
                    created_at=min(published, self.now) - datetime.timedelta(hours=1),
                )
            )
            items.append(picked)
        Topic.objects.bulk_create(topic_objs)
        TopicItem.objects.bulk_create(
            [
                TopicItem(topic_id=t.pk, resource_id=o.pk, position=k)
                for t, picked in zip(topic_objs, items, strict=True)
                for k, o in enumerate(picked, start=1)
            ]
        )
        self.counts["topics"] = len(topic_objs)
        self.counts["topic_items"] = sum(len(p) for p in items)

    def _index(self, objs: list[Resource], specs: list[dict]) -> bool:
        """``search_text`` through ``learning.search`` (and the SQLite FTS index); False if absent."""
        try:
            from cloudbranch.learning import search
        except ImportError:
            return False
        reindex = getattr(search, "reindex", None)
        if reindex is not None:
            reindex(Resource.objects.filter(pk__in=[o.pk for o in objs]))
            return True
        build = getattr(search, "search_text_for", None)
        if build is None:
            return False
        for o, r in zip(objs, specs, strict=True):
            text = build(title=o.title, summary=o.summary, body=o.body, knowledge_points=r["knowledge_points"])
            Resource.objects.filter(pk=o.pk).update(search_text=text)
        return True

    # who is who --------------------------------------------------------------------------------
    def assign_profiles(self) -> float:
        """Activity level, skill and knowledge-point biases per learner; returns the thinning factor."""
        rng, w = self.rng, self.world
        kps = sorted({kp for q in self.questions for kp in q.kps})
        branches: dict[int, tuple[float, dict[int, float]]] = {}
        for learner in w.learners:
            if learner.branch not in branches:
                bias: dict[int, float] = {}
                for kp in rng.sample(kps, min(2, len(kps))):
                    bias[kp] = -rng.uniform(0.6, 1.3)
                for kp in rng.sample(kps, min(1, len(kps))):
                    bias.setdefault(kp, rng.uniform(0.3, 0.7))
                branches[learner.branch] = (rng.gauss(0, 0.35), bias)
            offset, bias = branches[learner.branch]
            very, moderate = PROFILE_MIX[learner.status]
            if learner.branch == w.showcase:
                very += 0.1
            roll = rng.random()
            learner.profile = "very" if roll < very else "moderate" if roll < very + moderate else "inactive"
            learner.skill = rng.gauss(0, 0.6) + offset
            learner.bias = dict(bias)
            if kps:
                kp = rng.choice(kps)
                learner.bias[kp] = learner.bias.get(kp, 0.0) - rng.uniform(0.4, 1.0)
            if learner.id == w.member1:
                learner.profile, learner.skill = "very", offset - 0.3
                weak = next((k for name, k in sorted(self.kp_ids.items()) if "党章" in name), kps[0] if kps else None)
                if weak is not None:
                    learner.bias[weak] = -1.6
            elif learner.id == w.activist1:
                learner.profile = "moderate"
        self.counts.update(f"learners_{learner.profile}" for learner in w.learners)

        # Thinning: the demo college keeps its full history; elsewhere active days are scaled so
        # that the whole seed stays within QUIZ_DAY_BUDGET quizzes (1.0 at the demo scale).
        def expected(people):
            return sum(sum(PROFILES[x.profile].days) / 2 * PROFILES[x.profile].quiz for x in people)

        full = expected(x for x in w.learners if x.college == w.demo_college)
        rest = expected(x for x in w.learners if x.college != w.demo_college)
        factor = min(1.0, max(MIN_SCALE, (QUIZ_DAY_BUDGET - full) / rest)) if rest else 1.0
        for x in w.learners:
            if x.college != w.demo_college:
                x.scale = factor
        return factor

    def p_correct(self, learner: Learner, q: Q, boost: float = 0.0) -> float:
        bias = sum(learner.bias.get(kp, 0.0) for kp in q.kps) / len(q.kps) if q.kps else 0.0
        return 1.0 / (1.0 + math.exp(-(DIFFICULTY_LOGIT.get(q.difficulty, 1.0) + learner.skill + bias + boost)))

    def draw(self, count_by_kind, *, avoid=()) -> list[Q]:
        picked: list[Q] = []
        taken = set(avoid)
        for kind, count in count_by_kind:
            pool = [q for q in (self.by_kind.get(kind) or self.questions) if q.id not in taken]
            if len(pool) < count:
                pool = [q for q in self.questions if q.id not in taken]
            chosen = self.rng.sample(pool, min(count, len(pool)))
            taken.update(q.id for q in chosen)
            picked.extend(chosen)
        return picked

    # the global plan: exams, contests, duels, tasks ---------------------------------------------
    def plan_events(self) -> None:
        rng, w, tz = self.rng, self.world, self.tz
        self.sessions: dict[int, list[Session]] = defaultdict(list)
        self.forced: dict[int, list[tuple[datetime.datetime, Res]]] = defaultdict(list)
        self.avoid: dict[int, set[int]] = defaultdict(set)
        by_college: dict[int | None, list[Learner]] = defaultdict(list)
        for learner in w.learners:
            by_college[learner.college].append(learner)
        self.by_id = {x.id: x for x in w.learners}

        # One closed exam per college, 1–9 months ago, two weeks long.
        self.papers: list[tuple[Paper, list[tuple[Q, Decimal]]]] = []
        self.attempts: list[Session] = []
        for n, (college, name) in enumerate(w.colleges):
            opens_index = WINDOW_DAYS - rng.randint(35, 270)
            d = self.day(opens_index)
            opens = datetime.datetime(d.year, d.month, d.day, 8, 0, tzinfo=tz)
            closes = opens + datetime.timedelta(days=14, hours=14)
            questions = []
            for kind, count, points in EXAM_RULES:
                questions.extend((q, points) for q in self.draw([(kind, count)]))
            paper = Paper(
                unit_id=college,
                title=f"{opens:%Y}年{name}党员应知应会知识测试",
                description="围绕党章党规和党的基本知识，检验学习效果。限时 30 分钟，60 分及格。",
                mode=PaperMode.MANUAL,
                audience=Audience.SUBTREE,
                time_limit_minutes=30,
                attempts_allowed=1,
                opens_at=opens,
                closes_at=closes,
                pass_score=PASS_SCORE,
                status=PublishStatus.PUBLISHED,
                created_by_id=w.college_users.get(college, self.creator),
                created_at=opens - datetime.timedelta(days=3),
            )
            self.papers.append((paper, questions))
            people = [
                x for x in by_college.get(college, []) if rng.random() < PROFILES[x.profile].exam * math.sqrt(x.scale)
            ]
            if w.member1 is not None and self.by_id.get(w.member1) in by_college.get(college, []):
                if self.by_id[w.member1] not in people:
                    people.append(self.by_id[w.member1])
            for learner in people:
                moment = opens + datetime.timedelta(minutes=rng.randint(60, 14 * 24 * 60))
                if moment.hour < 7 or moment.hour > 22:
                    moment = moment.replace(hour=rng.randint(8, 21))
                if moment >= min(closes - datetime.timedelta(minutes=35), self.now - datetime.timedelta(minutes=35)):
                    continue
                order = [q for q, _p in questions]
                rng.shuffle(order)
                session = Session(
                    moment, "exam", 0, order, {"paper": n, "points": dict((q.id, p) for q, p in questions)}
                )
                self.attempts.append(session)
                self.sessions[learner.id].append(session)
        Paper.objects.bulk_create([p for p, _q in self.papers])
        PaperQuestion.objects.bulk_create(
            [
                PaperQuestion(paper_id=paper.pk, question_id=q.id, position=k, points=points)
                for paper, questions in self.papers
                for k, (q, points) in enumerate(questions, start=1)
            ],
            batch_size=1000,
        )
        # The school's open paper: random by rules, two attempts allowed, a few already handed in.
        d = self.day(WINDOW_DAYS - 4)
        opens = datetime.datetime(d.year, d.month, d.day, 9, 0, tzinfo=tz)
        rules = [{"kind": k, "count": c, "points": str(p)} for k, c, p in EXAM_RULES]
        self.open_paper = Paper.objects.create(
            unit_id=w.root_id,
            title=f"{self.today:%Y}年党章党规知识网上测试",
            description="全校党员、入党积极分子均可参加。随机组卷，限时 30 分钟，可作答 2 次，取最高分。",
            mode=PaperMode.RANDOM,
            rules=rules,
            audience=Audience.SCHOOL,
            time_limit_minutes=30,
            attempts_allowed=2,
            opens_at=opens,
            closes_at=opens + datetime.timedelta(days=14, hours=9),
            pass_score=PASS_SCORE,
            status=PublishStatus.PUBLISHED,
            created_by_id=self.creator,
            created_at=opens - datetime.timedelta(days=1),
        )
        self.papers.append((self.open_paper, []))
        open_n = len(self.papers) - 1
        span = int((self.now - opens).total_seconds() // 60) - 60
        for learner in w.learners:
            if span <= 0 or learner.id == w.member1 or learner.profile != "very" or rng.random() >= 0.2:
                continue
            moment = opens + datetime.timedelta(minutes=rng.randint(0, span))
            picked = self.draw([(k, c) for k, c, _p in EXAM_RULES])
            points = {}
            offset = 0
            for _kind, count, p in EXAM_RULES:
                for q in picked[offset : offset + count]:
                    points[q.id] = p
                offset += count
            rng.shuffle(picked)
            session = Session(moment, "exam", 0, picked, {"paper": open_n, "points": points})
            self.attempts.append(session)
            self.sessions[learner.id].append(session)
        for session, pk in zip(self.attempts, self.sql.ids(Attempt, len(self.attempts)), strict=True):
            session.id = pk

        # Contests: last month (individuals) and the current one (branches).
        first = self.today.replace(day=1)
        last_month = (first - datetime.timedelta(days=1)).replace(day=1)
        past = Contest(
            unit_id=w.root_id,
            title=f"{last_month.month}月党章党规知识竞赛",
            description="每人一次机会，10 道题，每题限时 20 秒，答对得 10 分，越快加分越多。",
            mode=ContestMode.INDIVIDUAL,
            starts_at=datetime.datetime(last_month.year, last_month.month, 1, 8, tzinfo=tz),
            ends_at=datetime.datetime(first.year, first.month, first.day, 0, tzinfo=tz) - datetime.timedelta(hours=2),
            question_count=CONTEST_QUESTIONS,
            seconds_per_question=CONTEST_SECONDS,
            rules=[{"kind": "", "count": CONTEST_QUESTIONS}],
            status=PublishStatus.PUBLISHED,
            created_by_id=self.creator,
            created_at=datetime.datetime(last_month.year, last_month.month, 1, 8, tzinfo=tz)
            - datetime.timedelta(days=5),
        )
        d = self.day(WINDOW_DAYS - 4)
        starts = datetime.datetime(d.year, d.month, d.day, 8, tzinfo=tz)
        current = Contest(
            unit_id=w.root_id,
            title="“学党章、守党规”支部团体知识竞赛",
            description="以支部为单位排名，支部成绩为参赛党员最好成绩的平均分。每人一次机会。",
            mode=ContestMode.BRANCH,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(days=8, hours=14),
            question_count=CONTEST_QUESTIONS,
            seconds_per_question=CONTEST_SECONDS,
            rules=[{"kind": "", "count": CONTEST_QUESTIONS}],
            status=PublishStatus.PUBLISHED,
            created_by_id=self.creator,
            created_at=starts - datetime.timedelta(days=2),
        )
        Contest.objects.bulk_create([past, current])
        self.contests = [past, current]
        self.entries: list[Session] = []
        for c, contest in enumerate(self.contests):
            lo, hi = contest.starts_at, min(contest.ends_at, self.now - datetime.timedelta(minutes=10))
            minutes = int((hi - lo).total_seconds() // 60)
            if minutes <= 0:
                continue
            for learner in w.learners:
                profile = PROFILES[learner.profile]
                chance = (profile.contest if c == 0 else profile.current) * math.sqrt(learner.scale)
                if learner.id == w.member1:
                    chance = 1.0 if c == 0 else 0.0
                if rng.random() >= chance:
                    continue
                moment = lo + datetime.timedelta(minutes=rng.randint(0, minutes))
                if moment.hour < 7:
                    moment += datetime.timedelta(hours=8)
                if moment >= hi:
                    continue
                session = Session(moment, "contest", 0, self.draw([("", CONTEST_QUESTIONS)]), {"contest": c})
                self.entries.append(session)
                self.sessions[learner.id].append(session)
        for session, pk in zip(self.entries, self.sql.ids(ContestEntry, len(self.entries)), strict=True):
            session.id = pk

        # A few finished duels between members of one branch (one of them member1's).
        self.duels: list[dict] = []
        pool = [x for x in w.learners if x.profile != "inactive"]
        by_branch: dict[int, list[Learner]] = defaultdict(list)
        for x in pool:
            by_branch[x.branch].append(x)
        wanted = max(6, min(80, len(w.learners) // 120))
        pairs = []
        if w.member1 in self.by_id:
            mates = [x for x in by_branch.get(self.by_id[w.member1].branch, []) if x.id != w.member1]
            if mates:
                pairs.append((self.by_id[w.member1], rng.choice(mates), WINDOW_DAYS - 2))
        tries = 0
        while len(pairs) < wanted and pool and tries < wanted * 20:
            tries += 1
            a = rng.choice(pool)
            mates = [x for x in by_branch[a.branch] if x.id != a.id]
            if mates:
                pairs.append((a, rng.choice(mates), WINDOW_DAYS - rng.randint(1, 60)))
        for (a, b, index), pk in zip(pairs, self.sql.ids(Duel, len(pairs)), strict=True):
            created = self.at(index, 12, 21)
            if created is None or created > self.now - datetime.timedelta(hours=1):
                created = self.now - datetime.timedelta(hours=rng.randint(2, 20))
            started = created + datetime.timedelta(seconds=rng.randint(20, 200))
            questions = self.draw([("", DUEL_QUESTIONS)])
            duel = {"id": pk, "a": a, "b": b, "created": created, "started": started, "questions": questions}
            self.duels.append(duel)
            for side, learner in (("a", a), ("b", b)):
                session = Session(started, "duel", pk, questions, {"duel": duel, "side": side})
                duel[f"session_{side}"] = session
                self.sessions[learner.id].append(session)

        self.plan_tasks()

    def plan_tasks(self) -> None:
        rng, w, tz = self.rng, self.world, self.tz
        self.tasks: list[dict] = []
        school = [r for r in self.resources if r.college is None]

        def pick(before: int, n: int, *, media: bool = False) -> list[Res]:
            found = [r for r in school if r.day <= before - 3 and r.media == media]
            return rng.sample(found, min(n, len(found)))

        def moment(index: int, hour: int) -> datetime.datetime:
            d = self.day(index)
            return datetime.datetime(d.year, d.month, d.day, hour, 0, tzinfo=tz)

        showcase = [x for x in w.learners if x.branch == w.showcase] if w.showcase else []
        party = [x for x in w.learners if x.status in PARTY]
        creator1 = w.secretary1 or self.creator
        specs = []
        if showcase:
            created = WINDOW_DAYS - 75
            specs.append(
                {
                    "unit": w.showcase,
                    "title": "学习《中国共产党章程》总纲和党员的义务权利",
                    "description": "请认真学习以下材料，结合本支部实际撰写学习心得，支部大会上交流。",
                    "created": moment(created, 10),
                    "deadline": self.day(created + 30),
                    "status": TaskStatus.CLOSED,
                    "resources": pick(created, 3),
                    "assignees": showcase,
                    "rate": 1.0,
                    "creator": creator1,
                }
            )
            created = WINDOW_DAYS - 10
            specs.append(
                {
                    "unit": w.showcase,
                    "title": "本月主题党日前置学习",
                    "description": "主题党日前请完成以下图文和视频的学习，届时开展研讨。",
                    "created": moment(created, 10),
                    "deadline": self.today + datetime.timedelta(days=5),
                    "status": TaskStatus.ACTIVE,
                    "resources": pick(created, 2) + pick(created, 1, media=True),
                    "assignees": showcase,
                    "rate": 0.55,
                    "creator": creator1,
                    "pending": {w.member1, w.activist1},
                }
            )
        if party:
            created = WINDOW_DAYS - 21
            specs.append(
                {
                    "unit": w.root_id,
                    "title": "全校党员学习党的纪律处分条例",
                    "description": "全校党员在截止日期前完成以下学习内容，各党支部书记督促落实。",
                    "created": moment(created, 9),
                    "deadline": self.today + datetime.timedelta(days=16),
                    "status": TaskStatus.ACTIVE,
                    "resources": pick(created, 3),
                    "assignees": party,
                    "rate": 0.8,
                    "creator": self.creator,
                }
            )
        for spec in specs:
            if not spec["resources"]:
                continue
            task = StudyTask(
                unit_id=spec["unit"],
                title=spec["title"],
                description=spec["description"],
                deadline=spec["deadline"],
                status=spec["status"],
                created_by_id=spec["creator"],
                created_at=spec["created"],
            )
            task.save(force_insert=True)
            task.resources.set([r.id for r in spec["resources"]])
            end = min(
                self.now - datetime.timedelta(minutes=30),
                datetime.datetime.combine(spec["deadline"], datetime.time(21), tzinfo=tz),
            )
            window = int((end - spec["created"]).total_seconds() // 60)
            spec["task"] = task
            spec["closes"] = (
                datetime.datetime.combine(spec["deadline"] + datetime.timedelta(days=1), datetime.time(9), tzinfo=tz)
                if spec["status"] == TaskStatus.CLOSED
                else self.now
            )
            pending = spec.get("pending", set())
            for learner in spec["assignees"]:
                if learner.id in pending:
                    # Started, not finished: one resource done, the rest kept out of the random reading.
                    self.avoid[learner.id].update(r.id for r in spec["resources"][1:])
                    if window > 0:
                        at = spec["created"] + datetime.timedelta(minutes=rng.randint(0, window))
                        self.forced[learner.id].append((at, spec["resources"][0]))
                    continue
                if window <= 0 or rng.random() >= PROFILES[learner.profile].task * spec["rate"]:
                    continue
                for r in spec["resources"]:
                    at = spec["created"] + datetime.timedelta(minutes=rng.randint(0, window))
                    self.forced[learner.id].append((at, r))
            spec["n"] = len(self.tasks) + 1
            self.tasks.append(spec)
            self.counts[f"task{spec['n']}_assignees"] = len(spec["assignees"])
        self.assignments: dict[int, list[dict]] = defaultdict(list)
        for spec in self.tasks:
            for learner in spec["assignees"]:
                self.assignments[learner.id].append(spec)
        self.counts["tasks"] = len(self.tasks)

    # one learner's year ----------------------------------------------------------------------------
    def prepare(self, root: OrgUnit) -> None:
        sql = self.sql
        for q in self.questions:
            q.right = (q.right, sql.json(q.right))
            q.wrongs = [(w, sql.json(w)) for w in q.wrongs]
        self.visible: dict[int | None, list[Res]] = {}
        for college in {x.college for x in self.world.learners}:
            self.visible[college] = sorted(
                (r for r in self.resources if r.college is None or r.college == college), key=lambda r: r.id
            )
        people = Person.objects.filter(unit__path__startswith=root.path)
        self.existing_quizzes = set(DailyQuiz.objects.filter(person__in=people).values_list("person_id", "day"))
        self.existing_days = set(StudyDay.objects.filter(person__in=people).values_list("person_id", "day"))
        self.existing_keys: set[tuple] = set()
        self.used_day: Counter = Counter()  # (person, action, day) → points already paid
        self.used_year: Counter = Counter()
        for pid, action, stype, sid, points, day in PointEvent.objects.filter(person__in=people).values_list(
            "person_id", "action", "source_type", "source_id", "points", "day"
        ):
            self.existing_keys.add((pid, action, stype, sid))
            self.used_day[(pid, action, day)] += points
            self.used_year[(pid, action, day.year)] += points
        self.existing_tallies = {
            (pid, period, start): points
            for pid, period, start, points in PointTally.objects.filter(person__in=people).values_list(
                "person_id", "period", "start", "points"
            )
        }
        self.quiz_ids = iter(())
        self.wrong_ids = iter(())

    def _next(self, model) -> int:
        attr = "quiz_ids" if model is DailyQuiz else "wrong_ids"
        pk = next(getattr(self, attr), None)
        if pk is None:
            setattr(self, attr, iter(self.sql.ids(model, 10_000)))
            pk = next(getattr(self, attr))
        return pk

    def learner(self, x: Learner, factor: float, out: Counter, rows: dict[str, list]) -> None:
        rng, sql, w = self.rng, self.sql, self.world
        profile = PROFILES[x.profile]
        lo, hi = profile.days
        k = min(WINDOW_DAYS, round(rng.randint(lo, hi) * x.scale))
        days = set(rng.sample(range(WINDOW_DAYS), k))
        is_member1 = x.id == w.member1
        week = set(range(WINDOW_DAYS - 1 - self.today.weekday(), WINDOW_DAYS))
        if is_member1:
            days |= week
        timeline: list[tuple] = []
        for d in sorted(days):
            at = self.at(d)
            if at is None and is_member1 and d == WINDOW_DAYS - 1:
                at = self.now - datetime.timedelta(minutes=rng.randint(20, 90))
                if at.astimezone(self.tz).date() != self.today:
                    at = None
            if at is not None:
                timeline.append((at, 0, "day", d))
        for at, r in self.forced.get(x.id, ()):
            if at < self.now:
                timeline.append((at, 1, "read", r))
        for s in self.sessions.get(x.id, ()):
            timeline.append((s.at, 2, "session", s))
        timeline.sort(key=lambda e: (e[0], e[1]))

        pending = list(self.visible.get(x.college, ()))
        rng.shuffle(pending)
        avoid = self.avoid.get(x.id, set())
        pending = [r for r in pending if r.id not in avoid]
        blocked_until = None
        done: dict[int, datetime.datetime] = {}
        book: dict[int, list] = {}
        seen: dict[int, int] = {}
        studied: Counter = Counter()
        events: list[tuple] = []
        dt = sql.dt

        def answer(q: Q, at, source, source_id, boost=0.0):
            correct = rng.random() < self.p_correct(x, q, boost)
            response, adapted = q.right if correct else rng.choice(q.wrongs)
            rows["answers"].append((x.id, q.id, source, source_id, adapted, correct, dt(at)))
            if not correct:
                entry = book.get(q.id)
                if entry is None:
                    book[q.id] = [self._next(WrongAnswer), 1, at, None]
                else:
                    entry[1] += 1
                    entry[2] = at
                    entry[3] = None
            return response, correct

        def complete(r: Res, at) -> None:
            if r.media:
                percent = rng.randint(92, 100)
                seconds = r.duration * percent // 100 + rng.randint(0, 60)
                reached = r.duration * percent // 100
                position = reached
            else:
                seconds = r.min_seconds + rng.randint(0, r.min_seconds)
                percent = reached = position = 0
            local = at.astimezone(self.tz).date()
            studied[local] += seconds
            done[r.id] = at
            rows["progress"].append(
                (
                    x.id,
                    r.id,
                    seconds,
                    reached,
                    position,
                    percent,
                    dt(at),
                    dt(at - datetime.timedelta(seconds=seconds)),
                    dt(at),
                )
            )
            events.append((at, "watch_video" if r.media else "read_article", "resource", str(r.id)))

        def partial(r: Res, at) -> None:
            if r.media:
                percent = rng.randint(15, 70)
                reached = r.duration * percent // 100
                seconds = reached + rng.randint(0, 30)
            else:
                seconds = rng.randint(10, max(11, r.min_seconds - 5))
                percent = reached = 0
            studied[at.astimezone(self.tz).date()] += seconds
            rows["progress"].append(
                (
                    x.id,
                    r.id,
                    seconds,
                    reached,
                    reached,
                    percent,
                    None,
                    dt(at - datetime.timedelta(seconds=seconds)),
                    dt(at),
                )
            )

        for at, _order, kind, payload in timeline:
            if kind == "read":
                if payload.id not in done and payload in pending:
                    pending.remove(payload)
                    complete(payload, at)
                continue
            if kind == "session":
                self._session(x, payload, answer, events)
                continue
            d = payload
            moment = at
            # Review of the wrong-answer book.
            if book and rng.random() < profile.review:
                open_ids = [qid for qid, e in book.items() if e[3] is None]
                for qid in rng.sample(open_ids, min(len(open_ids), rng.randint(1, 3))):
                    moment += datetime.timedelta(seconds=rng.randint(20, 90))
                    q = self.q_by_id[qid]
                    entry = book[qid]
                    correct = rng.random() < self.p_correct(x, q, 0.9)
                    _response, adapted = q.right if correct else rng.choice(q.wrongs)
                    rows["answers"].append((x.id, qid, AnswerSource.PRACTICE, entry[0], adapted, correct, dt(moment)))
                    if correct:
                        entry[3] = moment
                    else:
                        entry[1] += 1
                        entry[2] = moment
                    out["practice_answers"] += 1
            # The daily quiz (member1 leaves today's for the visitor).
            day = self.day(d)
            if (
                rng.random() < profile.quiz
                and not (is_member1 and d == WINDOW_DAYS - 1)
                and (x.id, day) not in self.existing_quizzes
            ):
                moment = self._daily(x, d, day, moment, book, seen, answer, events, rows)
            # Reading.
            n = rng.choice(profile.reads)
            if is_member1 and d in week:
                n = max(n, 1)
            for _ in range(n):
                if not pending or (blocked_until is not None and moment < blocked_until):
                    break
                moment += datetime.timedelta(seconds=rng.randint(30, 400))
                if moment >= self.now:
                    break
                found = None
                for r in pending:
                    if r.published < moment:
                        found = r
                        break
                if found is None:
                    blocked_until = min(r.published for r in pending)
                    break
                pending.remove(found)
                if rng.random() < 0.05:
                    partial(found, moment)
                else:
                    complete(found, moment)
                    moment += datetime.timedelta(seconds=found.duration if found.media else found.min_seconds)

        # Meetings attended (seeded by life.py).
        for meeting_id, at in w.present.get(x.id, ()):
            events.append((at, "meeting_attendance", "meeting", str(meeting_id)))
        # Study tasks: completed when every resource is done (never before the assignment).
        for spec in self.assignments.get(x.id, ()):
            task = spec["task"]
            resources = spec["resources"]
            completed = None
            if all(r.id in done for r in resources):
                completed = max([task.created_at] + [done[r.id] for r in resources])
                if completed > spec["closes"]:
                    completed = None
            rows["assignees"].append((task.pk, x.id, x.unit, dt(completed) if completed else None))
            if completed is not None:
                out[f"task{spec['n']}_completed"] += 1
                if completed.astimezone(self.tz).date() <= task.deadline:
                    events.append((completed, "study_task", "task", str(task.pk)))
        for qid, (pk, times, last, mastered) in book.items():
            rows["wrongs"].append((pk, x.id, qid, times, dt(last), dt(mastered) if mastered else None))
        for day, seconds in studied.items():
            rows["days"].append((x.id, day, seconds))
        self.award(x.id, events, rows)

    def _daily(self, x, d, day, moment, book, seen, answer, events, rows):
        rng = self.rng
        chosen: list[Q] = []
        open_ids = [qid for qid, e in book.items() if e[3] is None]
        if open_ids:
            chosen.append(self.q_by_id[rng.choice(open_ids)])
        taken = {q.id for q in chosen}
        for kind in DAILY_KINDS[: DAILY_SIZE - len(chosen)]:
            pool = self.by_kind.get(kind) or self.questions
            pick = None
            for _ in range(6):
                q = rng.choice(pool)
                if q.id not in taken and seen.get(q.id, -999) < d - 30:
                    pick = q
                    break
            if pick is None:
                pick = next((q for q in rng.sample(self.questions, len(self.questions)) if q.id not in taken), None)
            if pick is None:
                break
            chosen.append(pick)
            taken.add(pick.id)
        quiz_id = self._next(DailyQuiz)
        started = moment
        answers = {}
        correct_n = 0
        for i, q in enumerate(chosen):
            moment += datetime.timedelta(seconds=rng.randint(6, 40))
            response, correct = answer(q, moment, AnswerSource.DAILY, quiz_id)
            seen[q.id] = d
            answers[str(i)] = {
                "response": response,
                "correct": correct,
                "at": moment.astimezone(datetime.UTC).isoformat(),
            }
            if correct:
                correct_n += 1
                events.append((moment, "daily_quiz", "daily", f"{quiz_id}:{i}"))
        sql = self.sql
        rows["quizzes"].append(
            (
                quiz_id,
                x.id,
                sql.date(day),
                sql.json([{"question": q.id} for q in chosen]),
                sql.json(answers),
                correct_n,
                sql.dt(started),
                sql.dt(moment),
            )
        )
        return moment

    def _session(self, x: Learner, s: Session, answer, events) -> None:
        rng = self.rng
        if s.kind == "exam":
            submitted = s.at + datetime.timedelta(minutes=rng.randint(8, 28), seconds=rng.randint(0, 59))
            s.extra["submitted"] = submitted
            score = Decimal("0")
            for q in s.questions:
                response, correct = answer(q, submitted, AnswerSource.EXAM, s.id, 0.3)
                s.results.append((response, correct, submitted, 0))
                if correct:
                    score += s.extra["points"][q.id]
            s.extra["score"] = score
            s.extra["person"] = x
            if score >= PASS_SCORE:
                paper = self.papers[s.extra["paper"]][0]
                events.append((submitted, "exam_pass", "paper", str(paper.pk)))
        elif s.kind == "contest":
            moment = s.at
            for q in s.questions:
                taken = round(rng.uniform(3.0, CONTEST_SECONDS - 1.5), 1)
                moment += datetime.timedelta(seconds=taken)
                response, correct = answer(q, moment, AnswerSource.CONTEST, s.id)
                s.results.append((response, correct, moment, taken))
            s.extra["person"] = x
            s.extra["finished"] = moment
            events.append((moment, "contest", "contest", str(s.id)))
        else:  # duel side
            started = s.at
            for i, q in enumerate(s.questions):
                taken = rng.randint(2, DUEL_SECONDS - 1)
                moment = started + datetime.timedelta(seconds=i * DUEL_SECONDS + taken)
                response, correct = answer(q, moment, AnswerSource.DUEL, s.id)
                s.results.append((response, correct, moment, taken))

    # points ---------------------------------------------------------------------------------------
    def award(self, person: int, events: list[tuple], rows: dict[str, list]) -> None:
        """Pay ``events`` [(at, action, source type, source id)] in time order as ``point_award``
        would: one event per source, daily and yearly caps filled exactly."""
        events.sort(key=lambda e: e[0])
        sql, tz = self.sql, self.tz
        used_day: Counter = Counter()
        used_year: Counter = Counter()
        paid: set[tuple] = set()
        tallies, periods = self.tallies, self.periods
        for at, action, source_type, source_id in events:
            rule = self.rules.get(action)
            key = (person, action, source_type, source_id)
            if rule is None or key in paid or key in self.existing_keys:
                continue
            points, daily_cap, yearly_cap = rule
            day = at.astimezone(tz).date()
            if daily_cap:
                points = min(points, daily_cap - used_day[(action, day)] - self.used_day[(person, action, day)])
            if yearly_cap:
                points = min(
                    points, yearly_cap - used_year[(action, day.year)] - self.used_year[(person, action, day.year)]
                )
            if points <= 0:
                self.counts["awards_capped"] += 1
                continue
            paid.add(key)
            used_day[(action, day)] += points
            used_year[(action, day.year)] += points
            rows["events"].append((person, action, points, source_type, source_id, "", sql.dt(at), sql.date(day)))
            self.counts[f"points_{action}"] += points
            starts = periods.get(day)
            if starts is None:
                starts = periods[day] = (
                    day - datetime.timedelta(days=day.weekday()),
                    day.replace(day=1),
                    day.replace(month=1, day=1),
                )
            tallies[(person, "week", starts[0])] += points
            tallies[(person, "month", starts[1])] += points
            tallies[(person, "year", starts[2])] += points

    # writing ----------------------------------------------------------------------------------------
    def flush(self, rows: dict[str, list]) -> None:
        sql = self.sql
        c = self.counts
        c["daily_quizzes"] += sql.insert(
            DailyQuiz,
            ("id", "person_id", "day", "items", "answers", "correct", "started_at", "completed_at"),
            rows["quizzes"],
        )
        c["answer_records"] += sql.insert(
            AnswerRecord,
            ("person_id", "question_id", "source", "source_id", "response", "correct", "answered_at"),
            rows["answers"],
        )
        c["study_progress"] += sql.insert(
            StudyProgress,
            (
                "person_id",
                "resource_id",
                "seconds",
                "max_position",
                "position",
                "percent",
                "completed_at",
                "first_at",
                "last_beat_at",
            ),
            rows["progress"],
        )
        c["resources_completed"] += sum(1 for r in rows["progress"] if r[6] is not None)
        new_days = [(p, sql.date(d), s) for p, d, s in rows["days"] if (p, d) not in self.existing_days]
        c["study_days"] += sql.insert(StudyDay, ("person_id", "day", "seconds"), new_days)
        for p, d, s in rows["days"]:
            if (p, d) in self.existing_days:
                StudyDay.objects.filter(person_id=p, day=d).update(seconds=F("seconds") + s)
        c["wrong_answers"] += sql.insert(
            WrongAnswer, ("id", "person_id", "question_id", "times", "last_wrong_at", "mastered_at"), rows["wrongs"]
        )
        c["wrong_answers_mastered"] += sum(1 for r in rows["wrongs"] if r[5] is not None)
        c["task_assignees"] += sql.insert(
            TaskAssignee, ("task_id", "person_id", "unit_id", "completed_at"), rows["assignees"]
        )
        c["point_events"] += sql.insert(
            PointEvent,
            ("person_id", "action", "points", "source_type", "source_id", "note", "occurred_at", "day"),
            rows["events"],
        )
        for rows_list in rows.values():
            rows_list.clear()

    def finish_sessions(self, rows: dict[str, list]) -> None:
        sql = self.sql
        # Exam attempts, graded.
        attempt_rows = []
        for s in self.attempts:
            if "person" not in s.extra:
                continue
            paper = self.papers[s.extra["paper"]][0]
            items, answers = [], {}
            order_rng = random.Random(f"order:{s.id}")
            for q, (response, _correct, _at, _t) in zip(s.questions, s.results, strict=True):
                order = list(range(q.n_options))
                if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                    order_rng.shuffle(order)
                items.append(
                    {"question": q.id, "points": str(s.extra["points"][q.id].quantize(Decimal("0.1"))), "order": order}
                )
                answers[str(q.id)] = response
            score = s.extra["score"]
            submitted = s.extra["submitted"]
            attempt_rows.append(
                (
                    s.id,
                    paper.pk,
                    s.extra["person"].id,
                    1,
                    AttemptStatus.SUBMITTED,
                    sql.dt(s.at),
                    sql.dt(s.at + datetime.timedelta(minutes=paper.time_limit_minutes)),
                    sql.dt(submitted),
                    sql.json(items),
                    sql.json(answers),
                    sql.dt(submitted),
                    sql.dec(score),
                    sql.dec(Decimal("100.0")),
                    score >= PASS_SCORE,
                )
            )
            self.counts["attempts_passed"] += score >= PASS_SCORE
        self.counts["attempts"] += sql.insert(
            Attempt,
            (
                "id",
                "paper_id",
                "person_id",
                "number",
                "status",
                "started_at",
                "deadline_at",
                "submitted_at",
                "items",
                "answers",
                "saved_at",
                "score",
                "max_score",
                "passed",
            ),
            attempt_rows,
        )
        # Contest entries.
        entry_rows = []
        for s in self.entries:
            if "person" not in s.extra:
                continue
            x = s.extra["person"]
            answers = {}
            score = seconds = correct_n = 0
            for i, (response, correct, at, taken) in enumerate(s.results):
                answers[str(i)] = {
                    "response": response,
                    "correct": correct,
                    "seconds": taken,
                    "at": at.astimezone(datetime.UTC).isoformat(),
                    "late": False,
                }
                score += answer_score(correct, taken, CONTEST_SECONDS)
                seconds += math.ceil(taken)
                correct_n += correct
            entry_rows.append(
                (
                    s.id,
                    self.contests[s.extra["contest"]].pk,
                    x.id,
                    x.branch,
                    sql.json([{"question": q.id} for q in s.questions]),
                    sql.json(answers),
                    correct_n,
                    score,
                    seconds,
                    sql.dt(s.at),
                    sql.dt(s.extra["finished"]),
                )
            )
        self.counts["contest_entries"] += sql.insert(
            ContestEntry,
            (
                "id",
                "contest_id",
                "person_id",
                "unit_id",
                "items",
                "answers",
                "correct",
                "score",
                "seconds_used",
                "started_at",
                "finished_at",
            ),
            entry_rows,
        )
        # Duels: scores from the answers, the winner paid (duel_win, daily cap).
        duel_rows, answer_rows = [], []
        wins: dict[int, list[tuple]] = defaultdict(list)
        for duel in self.duels:
            scores = {}
            last = duel["started"]
            for side in ("a", "b"):
                s = duel[f"session_{side}"]
                person = duel[side].id
                scores[side] = sum(answer_score(c, t, DUEL_SECONDS) for _r, c, _at, t in s.results)
                for i, (response, correct, at, taken) in enumerate(s.results):
                    answer_rows.append((duel["id"], person, i, sql.json(response), correct, sql.dt(at), taken))
                    last = max(last, at)
            winner = duel["a"] if scores["a"] > scores["b"] else duel["b"] if scores["b"] > scores["a"] else None
            duel_rows.append(
                (
                    duel["id"],
                    None,
                    duel["a"].id,
                    duel["b"].id,
                    DuelStatus.FINISHED,
                    sql.json([{"question": q.id} for q in duel["questions"]]),
                    DUEL_SECONDS,
                    sql.dt(duel["created"]),
                    sql.dt(duel["started"]),
                    sql.dt(last),
                    scores["a"],
                    scores["b"],
                    winner.id if winner else None,
                )
            )
            if winner is not None:
                wins[winner.id].append((last, "duel_win", "duel", str(duel["id"])))
        self.counts["duels"] += sql.insert(
            Duel,
            (
                "id",
                "contest_id",
                "challenger_id",
                "opponent_id",
                "status",
                "items",
                "seconds_per_question",
                "created_at",
                "started_at",
                "finished_at",
                "challenger_score",
                "opponent_score",
                "winner_id",
            ),
            duel_rows,
        )
        sql.insert(
            DuelAnswer, ("duel_id", "person_id", "index", "response", "correct", "answered_at", "seconds"), answer_rows
        )
        for person, events in sorted(wins.items()):
            self.award(person, events, rows)
        # Meetings attended by people who are not learners any more (transferred, …): paid too.
        learners = {x.id for x in self.world.learners}
        for person, attended in sorted(self.world.present.items()):
            if person not in learners:
                self.award(person, [(at, "meeting_attendance", "meeting", str(m)) for m, at in attended], rows)

    def write_tallies(self) -> None:
        sql = self.sql
        new, updates = [], []
        for (person, period, start), points in self.tallies.items():
            if (person, period, start) in self.existing_tallies:
                updates.append((person, period, start, points))
            else:
                new.append((person, period, sql.date(start), points))
        self.counts["point_tallies"] = sql.insert(PointTally, ("person_id", "period", "start", "points"), new)
        for person, period, start, points in updates:
            PointTally.objects.filter(person_id=person, period=period, start=start).update(points=F("points") + points)


def _empty_rows() -> dict[str, list]:
    return {k: [] for k in ("quizzes", "answers", "progress", "days", "wrongs", "assignees", "events")}


def seed_learning(
    root: OrgUnit,
    *,
    seed: int,
    today: datetime.date,
    now: datetime.datetime,
    creator: int,
    demo: dict[str, OrgUnit],
) -> dict:
    """Write the learning content and a year of study, quizzes and points under ``root``; call
    inside a transaction. Returns counts."""
    started = time.monotonic()
    with _big_cache():
        return _seed_learning(root, seed=seed, today=today, now=now, creator=creator, demo=demo, started=started)


@contextlib.contextmanager
def _big_cache():
    """SQLite: a 256 MB page cache while bulk-inserting into indexed tables (the 2 MB default
    makes every index insert of a large table a page miss); restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _seed_learning(root, *, seed, today, now, creator, demo, started) -> dict:
    world = load_world(root, demo=demo)
    seeder = Seeder(world, seed=seed, today=today, now=now, creator=creator)
    seeder.write_content()
    seeder.q_by_id = {q.id: q for q in seeder.questions}
    factor = seeder.assign_profiles()
    seeder.plan_events()
    seeder.prepare(root)
    rows = _empty_rows()
    for n, learner in enumerate(world.learners, start=1):
        seeder.learner(learner, factor, seeder.counts, rows)
        if n % CHUNK == 0:
            seeder.flush(rows)
    seeder.flush(rows)
    seeder.finish_sessions(rows)
    seeder.flush(rows)
    seeder.write_tallies()
    seeder.sql.finish()
    c = seeder.counts
    counts = {
        "learners": len(world.learners),
        "thinning": round(factor, 2),
        "search_indexed": seeder.search_indexed,
        "papers": len(seeder.papers),
        "contests": len(seeder.contests),
        **dict(sorted(c.items())),
    }
    counts["points"] = sum(v for k, v in c.items() if k.startswith("points_"))
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=LEARNING_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
