"""Deterministic generation of a demo Party-organization tree and roster. No database access.

``generate(params, seed=..., today=...)`` yields one ``Batch`` per university (plus one for a
province-level root), so a province of 200,000 people never sits in memory at once. All
randomness comes from one ``random.Random(seed)``: the same seed gives the same names, codes,
ID numbers and tree.

People's dates (birth, application ... confirmation) are anchored on the latest 1 September
(the start of the academic year), so they never lie in the future and stay identical for a seed
throughout an academic year. Committee terms are placed relative to ``today`` so that some are
expired or expire within 60 days whenever the demo is seeded.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from cloudbranch.orgs.choices import UnitKind
from cloudbranch.people import idcard
from cloudbranch.people.choices import Category, CommitteePosition, PoliticalStatus

from . import data

ROOT_CODES = {"demo": "U", "university": "U", "province": "P"}
STAGE_FIELDS = ("applied_on", "activist_on", "candidate_on", "joined_on", "confirmed_on")
STATUS_RANK = {s: i for i, s in enumerate(PoliticalStatus.values)}
FULL = PoliticalStatus.FULL.value
PROBATIONARY = PoliticalStatus.PROBATIONARY.value


@dataclass(frozen=True)
class ScaleParams:
    universities: int
    colleges: int  # per university; 0 means "derive from the number of branches"
    branches: int  # in total
    people: int  # in total


SCALES = {
    "demo": ScaleParams(universities=1, colleges=12, branches=80, people=3000),
    "university": ScaleParams(universities=1, colleges=30, branches=800, people=40000),
    "province": ScaleParams(universities=10, colleges=0, branches=8000, people=200000),
}


@dataclass
class UnitSpec:
    code: str
    parent: str | None
    kind: str
    name: str
    level: int
    sort_order: int = 0
    founded_on: datetime.date | None = None
    term_years: int = 3
    term_started_on: datetime.date | None = None


@dataclass
class PersonSpec:
    unit: str
    name: str
    gender: str
    ethnicity: str
    birth_date: datetime.date
    id_number: str
    region: str
    sequence: int
    phone: str
    staff_number: str
    category: str
    college: str
    department: str
    education: str
    political_status: str
    dates: dict = field(default_factory=dict)
    is_mobile: bool = False
    is_lost_contact: bool = False
    is_abroad: bool = False


@dataclass
class Batch:
    units: list[UnitSpec] = field(default_factory=list)
    people: list[PersonSpec] = field(default_factory=list)
    # (unit, index into people, position); the seat starts with the unit's current term
    committees: list[tuple[UnitSpec, int, str]] = field(default_factory=list)


# --- dates -------------------------------------------------------------------------------------


def academic_anchor(today: datetime.date) -> datetime.date:
    """The latest 1 September on or before ``today``."""
    year = today.year if (today.month, today.day) >= (9, 1) else today.year - 1
    return datetime.date(year, 9, 1)


def add_years(d: datetime.date, years: int) -> datetime.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _day_between(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    if hi < lo:
        lo, hi = hi, lo
    return datetime.date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))


# --- branch kinds and their people --------------------------------------------------------------

# Political status mix per kind of branch (群众 here includes the Youth League members, who are
# the majority of students).
STATUS_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "undergrad": (
        ("masses", 0.46),
        ("applicant", 0.22),
        ("activist", 0.12),
        ("candidate", 0.04),
        ("probationary", 0.06),
        ("full", 0.10),
    ),
    "graduate": (
        ("masses", 0.30),
        ("applicant", 0.10),
        ("activist", 0.08),
        ("candidate", 0.04),
        ("probationary", 0.08),
        ("full", 0.40),
    ),
    "faculty": (
        ("masses", 0.24),
        ("applicant", 0.03),
        ("activist", 0.02),
        ("candidate", 0.01),
        ("probationary", 0.02),
        ("full", 0.68),
    ),
    "staff": (
        ("masses", 0.22),
        ("applicant", 0.03),
        ("activist", 0.02),
        ("candidate", 0.01),
        ("probationary", 0.02),
        ("full", 0.70),
    ),
    "retiree": (("full", 1.0),),
    "mobile": (("probationary", 0.15), ("full", 0.85)),
    "few": (("masses", 0.55), ("applicant", 0.25), ("activist", 0.12), ("candidate", 0.04), ("probationary", 0.04)),
}
SIZE_WEIGHT = {"undergrad": 1.3, "graduate": 1.0, "faculty": 0.8, "staff": 0.55}
AGE_RANGE = {
    "undergrad": (18, 22),
    "few": (18, 21),
    "graduate": (22, 30),
    "faculty": (27, 59),
    "staff": (24, 59),
    "retiree": (60, 88),
    "mobile": (22, 26),
}
# Days between stages: application → activist → candidate → admission → confirmation.
# Students move fast (the branch develops them within their years of study).
GAPS = {
    "student": ((30, 200), (365, 450), (60, 200), (365, 370)),
    "other": ((60, 365), (365, 600), (90, 300), (365, 372)),
}
# How far back (days before the anchor) the current stage began, per status.
STAGE_WINDOW = {
    "applicant": (0, 700),
    "activist": (0, 600),
    "candidate": (0, 300),
    "probationary": (0, 330),
}
FULL_WINDOW = {"undergrad": (0, 500), "few": (0, 400), "graduate": (0, 2000), "mobile": (0, 1400)}
JOIN_AGE = {"faculty": (20, 36), "staff": (20, 45), "retiree": (22, 48)}


class _University:
    """Builds one university: its committee, colleges, branches, groups, people, committees."""

    def __init__(self, rng, ids: set[str], *, code, parent, name, colleges, branches, people, anchor, today, level):
        self.rng, self.ids = rng, ids
        self.code, self.parent, self.name = code, parent, name
        self.n_colleges, self.n_branches, self.n_people = max(2, colleges), max(6, branches), max(60, people)
        self.anchor, self.today, self.level = anchor, today, level
        self.batch = Batch()
        self.serial = 0
        # The branches of secretary1 and secretary2 (first two branches of the first college).
        self.showcase = {f"{code}0101", f"{code}0102"}
        self._group_units: dict[str, list[UnitSpec]] = {}
        self._pending_groups: list[tuple[UnitSpec, list[int]]] = []

    # -- tree --
    def build(self) -> Batch:
        rng = self.rng
        root = self._unit(self.code, self.parent, UnitKind.COMMITTEE, f"{self.name}党委", self.level, 0, term_years=5)
        n_general = min(len(data.GENERAL_BRANCH_COLLEGES), max(1, round(self.n_colleges / 8)))
        n_academic = min(len(data.COLLEGES), max(1, self.n_colleges - 1 - n_general))
        colleges = [(*data.COLLEGES[i], UnitKind.SUB_COMMITTEE) for i in range(n_academic)]
        colleges += [(*data.GENERAL_BRANCH_COLLEGES[i], UnitKind.GENERAL_BRANCH) for i in range(n_general)]

        # Branch budget: one mobile branch, retiree branches, offices, then the colleges.
        n_retiree = max(1, round(self.n_branches / 100))
        n_admin = max(2, round(self.n_branches * 0.07))
        n_small = 3 * n_general
        n_rest = max(4 * n_academic, self.n_branches - 1 - n_retiree - n_admin - n_small)
        weights = [rng.uniform(0.7, 1.3) for _ in range(n_academic)]
        per_college = _allocate(n_rest, weights, minimum=3)
        if per_college[0] < 4:
            per_college[0] = 4

        branches: list[tuple[UnitSpec, str]] = []  # (unit, type)
        for ci, (cname, short, kind) in enumerate(colleges, start=1):
            ccode = f"{self.code}{ci:02d}"
            self._unit(
                ccode,
                root.code,
                kind,
                f"{cname}{'党委' if kind == UnitKind.SUB_COMMITTEE else '党总支'}",
                self.level + 1,
                ci,
                term_years=5 if kind == UnitKind.SUB_COMMITTEE else 3,
            )
            n = per_college[ci - 1] if ci <= n_academic else 3
            n_faculty = max(1, round(n * 0.2))
            n_grad = max(1, round(n * 0.3))
            n_under = max(1, n - n_faculty - n_grad)
            width = 2 if n_under + n_grad + n_faculty < 100 else 3
            j = 0
            for label, count, btype in (
                ("本科生", n_under, "undergrad"),
                ("研究生", n_grad, "graduate"),
                ("教工", n_faculty, "faculty"),
            ):
                for k in range(1, count + 1):
                    j += 1
                    unit = self._unit(
                        f"{ccode}{j:0{width}d}",
                        ccode,
                        UnitKind.BRANCH,
                        f"{short}{label}第{data.chinese_number(k)}党支部",
                        self.level + 2,
                        j,
                    )
                    branches.append((unit, btype, (cname, short)))
        acode = f"{self.code}{len(colleges) + 1:02d}"
        self._unit(
            acode, root.code, UnitKind.SUB_COMMITTEE, "机关党委", self.level + 1, len(colleges) + 1, term_years=5
        )
        for k in range(1, n_admin + 1):
            office = data.ADMIN_OFFICES[k - 1] if k <= len(data.ADMIN_OFFICES) else f"机关第{data.chinese_number(k)}"
            unit = self._unit(f"{acode}{k:02d}", acode, UnitKind.BRANCH, f"{office}党支部", self.level + 2, k)
            branches.append((unit, "staff", (office, office)))
        for k in range(1, n_retiree + 1):
            unit = self._unit(
                f"{self.code}L{k:02d}",
                root.code,
                UnitKind.BRANCH,
                f"离退休第{data.chinese_number(k)}党支部",
                self.level + 1,
                900 + k,
            )
            branches.append((unit, "retiree", ("离退休工作处", "离退休工作处")))
        unit = self._unit(
            f"{self.code}M01", root.code, UnitKind.MOBILE_BRANCH, "毕业生流动党员党支部", self.level + 1, 999
        )
        branches.append((unit, "mobile", ("", "")))

        self._people(branches, colleges)
        self._terms()
        return self.batch

    def _unit(self, code, parent, kind, name, level, sort_order, term_years=3) -> UnitSpec:
        unit = UnitSpec(
            code=code, parent=parent, kind=kind, name=name, level=level, sort_order=sort_order, term_years=term_years
        )
        self.batch.units.append(unit)
        return unit

    def _terms(self) -> None:
        """Terms relative to today: about 5 % expired, 5 % ending within 60 days, the rest running.
        Secretary1's branch (the first branch of the first college) always ends soon."""
        rng, today = self.rng, self.today
        showcase = f"{self.code}0101"  # secretary1's branch: its term ends soon, so a warning shows
        for unit in self.batch.units:
            if unit.kind == UnitKind.GROUP:
                continue
            roll = rng.random()
            years = unit.term_years
            if unit.code == showcase or 0.05 <= roll < 0.10:
                ends = today + datetime.timedelta(days=rng.randint(5, 55))
            elif roll < 0.05 and unit.level > self.level:
                ends = today - datetime.timedelta(days=rng.randint(15, 400))
            else:
                ends = today + datetime.timedelta(days=rng.randint(61, years * 365 - 30))
            unit.term_started_on = add_years(ends, -years)
            unit.founded_on = unit.term_started_on - datetime.timedelta(days=rng.randint(0, 20 * 365))

    # -- people --
    def _people(self, branches, colleges) -> None:
        rng = self.rng
        showcase = self.showcase
        student_idx = [
            i for i, (u, t, _) in enumerate(branches) if t in ("undergrad", "graduate") and u.code not in showcase
        ]
        few = set(rng.sample(student_idx, k=min(len(student_idx), max(1, round(len(student_idx) * 0.035)))))

        fixed: dict[int, int] = {}
        first_retiree = True
        for i, (_u, btype, _) in enumerate(branches):
            if btype == "mobile":
                fixed[i] = rng.randint(8, 14)
            elif btype == "retiree":
                fixed[i] = rng.randint(56, 68) if first_retiree else rng.randint(25, 45)
                first_retiree = False
            elif i in few:
                fixed[i] = rng.randint(12, 25)
        variable = [i for i in range(len(branches)) if i not in fixed]
        remaining = max(len(variable) * 6, self.n_people - sum(fixed.values()))
        sizes = _allocate(
            remaining, [SIZE_WEIGHT[branches[i][1]] * rng.uniform(0.75, 1.25) for i in variable], minimum=6
        )
        size_of = dict(fixed)
        size_of.update(zip(variable, sizes, strict=True))

        committee_candidates: list[tuple[UnitSpec, list[int]]] = []
        for i, (unit, btype, (cname, short)) in enumerate(branches):
            mix = "few" if i in few else btype
            statuses = _draw_statuses(rng, STATUS_MIX[mix], size_of[i])
            if i in few:
                for k in range(rng.choice((0, 1, 2))):
                    statuses[k] = FULL
            elif btype != "retiree":
                need = 8 if unit.code in showcase else 3
                others = [k for k, s in enumerate(statuses) if s != FULL]
                while statuses.count(FULL) < need and others:
                    statuses[others.pop(rng.randrange(len(others)))] = FULL
                fulls = [k for k, s in enumerate(statuses) if s == FULL]
                for k in fulls[48:]:
                    statuses[k] = PROBATIONARY
            if btype == "mobile":
                cname, short = rng.choice(colleges)[:2]
            start = len(self.batch.people)
            for status in statuses:
                self.batch.people.append(self._person(unit.code, "few" if i in few else btype, status, cname, short))
            members = list(range(start, len(self.batch.people)))
            full_members = [k for k in members if self.batch.people[k].political_status == FULL]
            if len(full_members) >= 7:
                committee_candidates.append((unit, full_members))
            self._groups(unit, members)

        # Branches with 7+ full members get a committee, except a few (so the warning shows).
        eligible = [k for k, (u, _) in enumerate(committee_candidates) if u.code not in showcase]
        skip = set(rng.sample(eligible, k=min(len(eligible), max(1, round(len(eligible) * 0.06)))))
        seated: set[int] = set()
        for k, (unit, full_members) in enumerate(committee_candidates):
            if k in skip:
                continue
            positions = [
                CommitteePosition.SECRETARY,
                CommitteePosition.ORGANIZATION_OFFICER,
                CommitteePosition.PUBLICITY_OFFICER,
            ]
            if len(full_members) >= 15:
                positions += [CommitteePosition.DEPUTY_SECRETARY, CommitteePosition.DISCIPLINE_OFFICER]
            for position, idx in zip(positions, rng.sample(full_members, k=len(positions)), strict=True):
                self.batch.committees.append((unit, idx, position.value))
                seated.add(idx)
        # Groups hold the branch's Party members, committee members stay at branch level.
        for unit, members in self._pending_groups:
            groups = self._group_units[unit.code]
            candidates = [
                k for k in members if k not in seated and self.batch.people[k].political_status in (FULL, PROBATIONARY)
            ]
            for n, k in enumerate(candidates):
                self.batch.people[k].unit = groups[n % len(groups)].code

    def _groups(self, unit: UnitSpec, members: list[int]) -> None:
        """Branches with 20+ Party members get two or three 党小组 (created now, filled once the committee is seated)."""
        party = sum(1 for k in members if self.batch.people[k].political_status in (FULL, PROBATIONARY))
        if party < 20 or unit.kind == UnitKind.MOBILE_BRANCH or unit.code in self.showcase:
            return
        count = 2 if party < 35 else 3
        self._group_units[unit.code] = [
            self._unit(
                f"{unit.code}G{g}", unit.code, UnitKind.GROUP, f"第{data.chinese_number(g)}党小组", unit.level + 1, g
            )
            for g in range(1, count + 1)
        ]
        self._pending_groups.append((unit, members))

    def _person(self, unit_code: str, btype: str, status: str, cname: str, short: str) -> PersonSpec:
        rng, anchor = self.rng, self.anchor
        student = btype in ("undergrad", "graduate", "few", "mobile")
        if btype in ("undergrad", "graduate", "few", "mobile"):
            category = Category.STUDENT
        elif btype == "faculty":
            category = Category.STAFF if rng.random() < 0.15 else Category.FACULTY
        elif btype == "staff":
            category = Category.FACULTY if rng.random() < 0.25 else Category.STAFF
        else:
            category = Category.RETIREE
        male_share = {"faculty": 0.58, "retiree": 0.6}.get(btype, 0.5)
        gender = "male" if rng.random() < male_share else "female"

        rank = STATUS_RANK[status]
        gaps = [rng.randint(*g) for g in GAPS["student" if student else "other"][: max(0, rank - 1)]]
        span = sum(gaps)
        amin, amax = AGE_RANGE[btype]
        bmin, bmax = add_years(anchor, -amax - 1) + datetime.timedelta(days=1), add_years(anchor, -amin)
        if rank == 0:
            birth = _day_between(rng, bmin, bmax)
            end = None
        elif status == FULL and btype in JOIN_AGE:
            birth = _day_between(rng, bmin, bmax)
            jmin, jmax = JOIN_AGE[btype]
            age = (anchor - birth).days // 365
            join_age = rng.uniform(jmin, max(jmin + 0.5, min(jmax, age - 1.5)))
            confirmed = birth + datetime.timedelta(days=int(join_age * 365.25)) + datetime.timedelta(days=gaps[-1])
            earliest = add_years(birth, 18) + datetime.timedelta(days=span + 1)
            end = min(max(confirmed, earliest), anchor)
        else:
            lo, hi = FULL_WINDOW[btype] if status == FULL else STAGE_WINDOW[status]
            if status == "applicant" and not student:
                hi = 1800
            end = anchor - datetime.timedelta(days=rng.randint(lo, hi))
            latest_birth = add_years(end - datetime.timedelta(days=span), -18)
            top = min(bmax, latest_birth)
            bottom = bmin if bmin <= top else top - datetime.timedelta(days=rng.randint(0, 300))
            birth = _day_between(rng, bottom, top)
        dates = {}
        if end is not None:
            stage = [end]
            for gap in reversed(gaps):
                stage.append(stage[-1] - datetime.timedelta(days=gap))
            stage.reverse()
            dates = dict(zip(STAGE_FIELDS, stage, strict=False))

        old = birth.year < 1972
        name = _name(rng, gender, old)
        ethnicity = _weighted(rng, data.ETHNICITIES)
        home = {"retiree": 0.85, "faculty": 0.7, "staff": 0.8}.get(btype, 0.55)
        region = rng.choice(data.HOME_REGIONS if rng.random() < home else data.OTHER_REGIONS)
        sequence = rng.randrange(100)
        id_number = idcard.make(region, birth, sequence, gender)
        tries = 0
        while id_number in self.ids:
            tries += 1
            sequence = (sequence + 1) % 100
            if tries % 100 == 0:
                region = rng.choice(data.OTHER_REGIONS)
            id_number = idcard.make(region, birth, sequence, gender)
        self.ids.add(id_number)

        has_phone = rng.random() < (0.85 if btype == "retiree" else 0.97)
        phone = rng.choice(data.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}" if has_phone else ""
        self.serial += 1
        if student:
            entry_age = 18 if btype in ("undergrad", "few") else 22
            enrolled = max(anchor.year - 6, min(anchor.year, birth.year + entry_age + rng.randint(0, 1)))
            staff_number = f"{enrolled}{self.serial:06d}"
        else:
            hired = min(anchor.year, birth.year + rng.randint(24, 32))
            staff_number = f"{hired}{self.serial:05d}"
        department = self._department(btype, short, cname, birth)
        education = rng.choice(data.EDUCATION.get(btype, data.EDUCATION["undergrad"]))
        is_member = status in (FULL, PROBATIONARY)
        is_mobile = btype == "mobile" or (btype == "graduate" and rng.random() < 0.01)
        lost = is_member and rng.random() < (0.08 if btype == "mobile" else 0.002)
        abroad = rng.random() < {"faculty": 0.03, "graduate": 0.01, "mobile": 0.05}.get(btype, 0.0)
        return PersonSpec(
            unit=unit_code,
            name=name,
            gender=gender,
            ethnicity=ethnicity,
            birth_date=birth,
            id_number=id_number,
            region=region,
            sequence=sequence,
            phone=phone,
            staff_number=staff_number,
            category=category,
            college=cname if btype != "staff" else "机关",
            department=department,
            education=education,
            political_status=status,
            dates=dates,
            is_mobile=is_mobile,
            is_lost_contact=lost,
            is_abroad=abroad,
        )

    def _department(self, btype: str, short: str, cname: str, birth: datetime.date) -> str:
        rng = self.rng
        if btype in ("undergrad", "few"):
            return f"{short}{(birth.year + 18) % 100:02d}{rng.randint(1, 6):02d}班"
        if btype == "graduate":
            return f"{(birth.year + 23) % 100:02d}级{'博士' if rng.random() < 0.2 else '硕士'}研究生"
        if btype == "faculty":
            return f"{short}{rng.choice(data.FACULTY_DEPARTMENTS)}"
        if btype == "mobile":
            return f"{(birth.year + 22) % 100:02d}届毕业生"
        return cname


def _allocate(total: int, weights: list[float], *, minimum: int) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), at least ``minimum`` each."""
    if not weights:
        return []
    total = max(total, minimum * len(weights))
    spare = total - minimum * len(weights)
    s = sum(weights)
    raw = [spare * w / s for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: spare - sum(out)]:
        out[i] += 1
    return [minimum + n for n in out]


def _draw_statuses(rng: random.Random, mix, n: int) -> list[str]:
    values = [s for s, _ in mix]
    weights = [w for _, w in mix]
    return rng.choices(values, weights=weights, k=n)


def _weighted(rng: random.Random, pairs) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs], k=1)[0]


def _name(rng: random.Random, gender: str, old: bool) -> str:
    surname = _weighted(rng, data.SURNAMES)
    if gender == "male":
        pool = data.GIVEN_MALE_OLD if old else data.GIVEN_MALE
    else:
        pool = data.GIVEN_FEMALE_OLD if old else data.GIVEN_FEMALE
    if rng.random() < 0.72:
        return surname + rng.choice(pool) + rng.choice(pool)
    return surname + rng.choice(pool)


def generate(params: ScaleParams, *, seed: int, today: datetime.date, root_code: str) -> Iterator[Batch]:
    """Yield the tree and roster, one batch per university (parents always before children)."""
    rng = random.Random(seed)
    anchor = academic_anchor(today)
    ids: set[str] = set()
    if params.universities <= 1:
        yield _University(
            rng,
            ids,
            code=root_code,
            parent=None,
            name="云端大学",
            colleges=params.colleges,
            branches=params.branches,
            people=params.people,
            anchor=anchor,
            today=today,
            level=0,
        ).build()
        return
    province = UnitSpec(
        code=root_code, parent=None, kind=UnitKind.COMMITTEE, name="中共云州省委教育工作委员会", level=0, term_years=5
    )
    province.term_started_on = today - datetime.timedelta(days=rng.randint(200, 1500))
    province.founded_on = datetime.date(1983, 7, 1)
    yield Batch(units=[province])
    n = params.universities
    weights = [rng.uniform(0.6, 1.6) for _ in range(n)]
    branches = _allocate(params.branches, weights, minimum=20)
    people = _allocate(params.people, weights, minimum=500)
    for i in range(n):
        name = data.UNIVERSITY_NAMES[i] if i < len(data.UNIVERSITY_NAMES) else f"云州第{data.chinese_number(i + 1)}学院"
        colleges = params.colleges or min(40, max(6, round(branches[i] / 27)))
        yield _University(
            rng,
            ids,
            code=f"{root_code}{i + 1:02d}",
            parent=root_code,
            name=name,
            colleges=colleges,
            branches=branches[i],
            people=people[i],
            anchor=anchor,
            today=today,
            level=1,
        ).build()
