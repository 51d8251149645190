"""Democracy demo data (issue 9 item 8): elections, democratic appraisals, award rounds.

``seed_democracy(root, seed=..., today=..., now=..., creator=..., demo=...)`` runs, through the real
services of ``cloudbranch.voting`` (so ballots are real and secret, every rule holds, every step is
audited):

* secretary2's branch: a committee election held a few weeks ago — candidates (差额), roll frozen,
  presence, one round (secretary2 votes on the phone, the others by paper ballots entered one by
  one), counted, posts divided, reported and approved by college1: the new committee and term are
  written to the unit (secretary2 stays 书记);
* secretary1's branch: today's committee election (换届) with a round OPEN — secretary1 and
  collector1 have voted on the phone, part of the others by paper; member1 is present and has not
  voted yet (opens the ballot on the phone); one voter excluded with an approval note;
* secretary1's branch: last year's appraisal closed (grades incl. one 不合格 with its handling) and
  this year's in the 民主测评 stage where everybody but member1 has rated (member members without an
  account write their self-assessments and ratings directly: they cannot log in);
* the university's award round of this year in public notice (nominations from several colleges:
  rejected, withdrawn, elected, not elected, one with an open objection by member1, one revoked
  after an upheld objection); the college's round in review (pending at the college, approved);
  last year's university round final (awarded list; written directly with its past dates, as the
  services only move forward from today).

Deterministic for a seed and a database; one audit row ``demo.seed.democracy`` holds the counts.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter

from django.contrib.auth import get_user_model

from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import CommitteePosition, PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.voting import appraisals, awards, ballots, elections
from cloudbranch.voting.choices import (
    AwardKind,
    AwardRoundStatus,
    ElectionKind,
    Grade,
    NominationStatus,
    ReviewDecision,
    UnqualifiedHandling,
    VoterExclusion,
)
from cloudbranch.voting.models import (
    AppraisalEntry,
    AppraisalRating,
    AwardRound,
    Election,
    Nomination,
    NominationReview,
    Round,
)

from . import democracy_content as content

DEMOCRACY_ACTION = "demo.seed.democracy"
LOGINS = ("admin", "college1", "secretary1", "secretary2", "member1", "collector1", "activist1")
OTHER_COLLEGES = 4  # colleges besides the demo college that nominate in the university's round


def has_democracy(root: OrgUnit) -> bool:
    return Election.objects.filter(unit__path__startswith=root.path).exists()


def _full_members(unit: OrgUnit):
    return Person.objects.filter(
        unit__path__startswith=unit.path, political_status=PoliticalStatus.FULL, roster_status=RosterStatus.ACTIVE
    ).order_by("id")


class Seeder:
    def __init__(self, root, *, seed, today, now, creator, demo):
        self.root, self.today, self.now = root, today, now
        self.rng = random.Random(f"democracy:{seed}:{today.isoformat()}")
        self.counts: Counter = Counter()
        self.college, self.branch1, self.branch2 = demo.get("college"), demo.get("branch1"), demo.get("branch2")
        User = get_user_model()
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.creator = User.objects.get(pk=creator)
        self.persons = {
            p.user.username: p for p in Person.objects.filter(user__username__in=LOGINS).select_related("user")
        }

    def user(self, name):
        return self.users.get(name) or self.creator

    # --- elections -----------------------------------------------------------------------------
    def _election(self, unit, actor, *, title, date, seats, first: list[Person]):
        """Create, nominate (the ``first`` people and others up to the 差额 minimum), freeze the roll."""
        kw = {}
        if elections.needs_approval(unit, date):
            kw["postponement_approval"] = content.POSTPONEMENT_APPROVAL.format(parent=unit.parent.name)
        election = elections.election_create(
            actor=actor, unit=unit, kind=ElectionKind.COMMITTEE, title=title, seats=seats, election_date=date, **kw
        )
        people = list(_full_members(unit))
        chosen = [p for p in first if p in people]
        for p in people:
            if len(chosen) >= seats + 1:
                break
            if p not in chosen:
                chosen.append(p)
        for i, p in enumerate(chosen):
            elections.candidate_add(
                actor=actor, election=election, person=p, introduction=content.CANDIDATE_INTROS[i % 4], sort_order=i + 1
            )
        elections.candidates_publish(actor=actor, election=election)
        elections.roll_freeze(actor=actor, election=election)
        self.counts["elections"] += 1
        self.counts["candidates"] += len(chosen)
        return election

    def _presence(self, election, actor, *, skip: set[int], exclude_one: bool):
        voters = list(election.voters.select_related("person").order_by("id"))
        excluded = None
        if exclude_one and len(voters) > 6:
            excluded = next(v for v in reversed(voters) if v.person_id not in skip)
            elections.voter_exclude(
                actor=actor, voter=excluded, reason=VoterExclusion.ABROAD, note=content.EXCLUSION_NOTE
            )
        absent = max(0, (len(voters) - (1 if excluded else 0)) // 10)  # stay above four fifths
        marked = 0
        for v in voters:
            if v is excluded:
                continue
            if absent and v.person_id not in skip and self.rng.random() < 0.2:
                absent -= 1
                continue
            elections.voter_presence(actor=actor, voter=v, present=True)
            marked += 1
        self.counts["voters"] += len(voters)
        return [v for v in voters if v is not excluded]

    def _paper(self, rnd, actor, voters, *, winners: list[int], losers: list[int]):
        """Present voters hand in paper ballots: mostly for the intended winners."""
        if not voters:
            return
        ballots.paper_voters_mark(actor=actor, round=rnd, voter_ids=[v.pk for v in voters])
        for _ in voters:
            marks = {}
            for cid in winners:
                marks[str(cid)] = "for" if self.rng.random() < 0.9 else "abstain"
            for cid in losers:
                marks[str(cid)] = "against" if self.rng.random() < 0.7 else "abstain"
            ballots.paper_ballot_enter(actor=actor, round=rnd, marks=marks)
        self.counts["paper_ballots"] += len(voters)

    def done_election(self) -> None:
        unit = self.branch2
        if unit is None:
            return
        actor, approver = self.user("secretary2"), self.user("college1")
        sec = self.persons.get("secretary2")
        date = self.today - datetime.timedelta(days=21)
        seats = 3
        election = self._election(
            unit, actor, title=f"{unit.name}委员会换届选举", date=date, seats=seats, first=[sec] if sec else []
        )
        voters = self._presence(election, actor, skip=set(), exclude_one=False)
        rnd = elections.round_open(actor=actor, election=election)
        cands = list(election.candidates.order_by("sort_order"))
        winners, losers = [c.pk for c in cands[:seats]], [c.pk for c in cands[seats:]]
        present = [v for v in election.voters.filter(present=True)]
        phone = [v for v in present if sec is not None and v.person_id == sec.pk and "secretary2" in self.users]
        if phone:
            ballots.ballot_cast(
                actor=self.users["secretary2"], election=election, marks={str(c): "for" for c in winners}
            )
            self.counts["phone_ballots"] += 1
        self._paper(rnd, actor, [v for v in present if v not in phone], winners=winners, losers=losers)
        elections.round_close(actor=actor, round=rnd)
        posts = [
            CommitteePosition.SECRETARY,
            CommitteePosition.ORGANIZATION_OFFICER,
            CommitteePosition.PUBLICITY_OFFICER,
        ]
        elected = list(election.candidates.filter(elected=True).order_by("sort_order"))
        elections.posts_assign(
            actor=actor, election=election, positions={c.pk: p for c, p in zip(elected, posts, strict=False)}
        )
        elections.result_report(actor=actor, election=election)
        elections.result_approve(actor=approver, election=election)
        # The dates of the day it happened (the services stamp "now").
        held = datetime.datetime.combine(date, datetime.time(15, 0), tzinfo=self.now.tzinfo)
        Election.objects.filter(pk=election.pk).update(
            roll_frozen_at=held - datetime.timedelta(days=7), confirmed_at=held + datetime.timedelta(days=6)
        )
        Round.objects.filter(pk=rnd.pk).update(opened_at=held, closed_at=held + datetime.timedelta(minutes=40))
        self.counts["voters_done"] = len(voters)

    def live_election(self) -> None:
        unit = self.branch1
        if unit is None:
            return
        actor = self.user("secretary1")
        first = [self.persons[n] for n in ("secretary1", "collector1") if n in self.persons]
        member = self.persons.get("member1")
        election = self._election(
            unit, actor, title=f"{unit.name}委员会换届选举", date=self.today, seats=3, first=first
        )
        keep = {p.pk for p in first} | ({member.pk} if member else set())
        self._presence(election, actor, skip=keep, exclude_one=True)
        rnd = elections.round_open(actor=actor, election=election)
        cands = list(election.candidates.order_by("sort_order"))
        winners, losers = [c.pk for c in cands[:3]], [c.pk for c in cands[3:]]
        phone = []
        for name in ("secretary1", "collector1"):
            p = self.persons.get(name)
            v = election.voters.filter(person=p, present=True).first() if p else None
            if v is not None:
                ballots.ballot_cast(actor=self.users[name], election=election, marks={str(c): "for" for c in winners})
                phone.append(v.pk)
                self.counts["phone_ballots"] += 1
        rest = [
            v
            for v in election.voters.filter(present=True).exclude(pk__in=phone).order_by("id")
            if not member or v.person_id != member.pk
        ]
        self._paper(rnd, actor, rest[: len(rest) // 2], winners=winners, losers=losers)

    # --- appraisals ----------------------------------------------------------------------------
    def _self_and_ratings(self, appraisal, *, skip_rater: int | None, grades_of: dict):
        entries = list(AppraisalEntry.objects.filter(appraisal=appraisal).select_related("person"))
        for e in entries:
            if e.person.user_id is None or e.person_id == skip_rater:
                e.self_assessment = self.rng.choice(content.SELF_ASSESSMENTS).format(name=e.person.name)
                e.self_submitted_at = self.now - datetime.timedelta(days=self.rng.randint(3, 20))
        AppraisalEntry.objects.bulk_update(entries, ["self_assessment", "self_submitted_at"])
        return entries

    def _ratings(self, appraisal, entries, *, skip_rater: int | None, tendency: dict[int, str]):
        rows = []
        graded = [e for e in entries if e.graded]
        for rater in entries:
            if rater.person_id == skip_rater:
                continue
            for target in graded:
                if target.pk == rater.pk:
                    continue
                base = tendency.get(target.pk, Grade.QUALIFIED)
                grade = base if self.rng.random() < 0.75 else self.rng.choice((Grade.QUALIFIED, Grade.EXCELLENT))
                rows.append(AppraisalRating(entry=target, rater_id=rater.person_id, grade=grade))
        AppraisalRating.objects.bulk_create(rows, batch_size=2000)
        self.counts["ratings"] += len(rows)

    def appraisals(self) -> None:
        unit = self.branch1
        if unit is None:
            return
        actor = self.user("secretary1")
        member = self.persons.get("member1")
        logins = {p.pk for p in self.persons.values()}
        # Last year: closed.
        last = appraisals.appraisal_create(actor=actor, unit_id=unit.pk, year=self.today.year - 1)
        entries = self._self_and_ratings(last, skip_rater=None, grades_of={})
        graded = [e for e in entries if e.graded]
        cap = appraisals.excellent_cap(len(graded))
        others = [e for e in graded if e.person_id not in logins]
        unqualified = others[-1] if len(others) >= 2 else None
        excellent = [e for e in graded if e is not unqualified][: max(0, cap)]
        tendency = {e.pk: Grade.EXCELLENT for e in excellent}
        if unqualified:
            tendency[unqualified.pk] = Grade.BASIC
        appraisals.appraisal_open_rating(actor=actor, appraisal_id=last.pk)
        self._ratings(last, entries, skip_rater=None, tendency=tendency)
        appraisals.appraisal_open_proposal(actor=actor, appraisal_id=last.pk)
        items = {}
        for e in graded:
            grade = Grade.EXCELLENT if e in excellent else Grade.QUALIFIED
            if e is unqualified:
                grade = Grade.UNQUALIFIED
            items[e.pk] = (grade, content.PROPOSAL_NOTES.get(grade, ""))
        appraisals.appraisal_propose(actor=actor, appraisal_id=last.pk, items=items)
        meeting_on = datetime.date(self.today.year, 1, 15)
        appraisals.appraisal_decide(
            actor=actor, appraisal_id=last.pk, meeting_on=meeting_on, grades={k: g for k, (g, _) in items.items()}
        )
        if unqualified:
            appraisals.entry_handling_record(
                actor=actor, entry_id=unqualified.pk, handling=UnqualifiedHandling.CORRECT,
                note=content.HANDLING_NOTE, deadline=meeting_on + datetime.timedelta(days=180),
            )  # fmt: skip
        appraisals.appraisal_close(actor=actor, appraisal_id=last.pk)
        self.counts["appraisals"] += 1
        self.counts["appraisal_unqualified"] += 1 if unqualified else 0
        # This year: in the mutual rating, member1 has not rated yet.
        current = appraisals.appraisal_create(actor=actor, unit_id=unit.pk, year=self.today.year)
        for name in ("member1", "secretary1", "collector1"):
            if name in self.users and name in self.persons:
                appraisals.self_assessment_save(
                    actor=self.users[name], appraisal_id=current.pk,
                    text=content.SELF_ASSESSMENTS[0].format(name=self.persons[name].name),
                )  # fmt: skip
        entries = self._self_and_ratings(current, skip_rater=None, grades_of={})
        appraisals.appraisal_open_rating(actor=actor, appraisal_id=current.pk)
        self._ratings(current, entries, skip_rater=member.pk if member else None, tendency={})
        self.counts["appraisals"] += 1

    # --- awards --------------------------------------------------------------------------------
    def _colleges(self) -> list[OrgUnit]:
        school = self.college.parent if self.college is not None else self.root
        out = [self.college] if self.college is not None else []
        others = OrgUnit.objects.filter(parent=school, status="active").exclude(pk__in=[u.pk for u in out])
        return out + list(others.order_by("sort_order", "id")[:OTHER_COLLEGES])

    def _pick(self, kind, unit, used: set[int]):
        if kind == AwardKind.ADVANCED_ORG:
            u = awards.eligible_units(unit).exclude(pk__in=used).order_by("path").first()
            if u is not None:
                used.add(u.pk)
            return {"nominee_unit": u} if u else None
        p = awards.eligible_people(kind, unit).exclude(pk__in=used).exclude(user__isnull=False).order_by("id").first()
        if p is not None:
            used.add(p.pk)
        return {"person": p} if p else None

    def award_rounds(self) -> None:
        admin = self.user("admin")
        school = self.college.parent if self.college is not None else self.root
        year = self.today.year
        kinds = [AwardKind.EXCELLENT_MEMBER, AwardKind.EXCELLENT_WORKER, AwardKind.ADVANCED_ORG]
        rnd = awards.round_create(
            actor=admin, unit=school, year=year, title=f"{year}年度“两优一先”评选表彰", kinds=kinds,
            quotas={AwardKind.EXCELLENT_MEMBER: 6, AwardKind.EXCELLENT_WORKER: 3, AwardKind.ADVANCED_ORG: 3},
            nomination_deadline=self.today, notice_days=5,
        )  # fmt: skip
        used_people, used_units = set(), set()
        noms = []
        for i, college in enumerate(self._colleges()):
            nominator = self.user("college1") if college == self.college else admin
            for kind in kinds if i < 3 else kinds[:1]:
                nominee = self._pick(kind, college, used_units if kind == AwardKind.ADVANCED_ORG else used_people)
                if nominee is None:
                    continue
                n = awards.nomination_create(
                    actor=nominator, award_round=rnd, nominating_unit=college, kind=kind,
                    deeds=content.DEEDS[kind].format(college=college.name), **nominee,
                )  # fmt: skip
                noms.append(n)
        self.counts["nominations"] += len(noms)
        # Reviews at the university: one rejected, one withdrawn before review, the rest approved.
        plan = {}
        if len(noms) >= 6:
            plan = {noms[1].pk: "withdraw", noms[4].pk: "reject"}
        for n in noms:
            action = plan.get(n.pk)
            if action == "withdraw":
                awards.nomination_withdraw(actor=admin, nomination=n)
            elif action == "reject":
                awards.nomination_review(
                    actor=admin, nomination=n, decision=ReviewDecision.REJECT, comment=content.REJECT_COMMENT
                )
            else:
                awards.nomination_review(
                    actor=admin, nomination=n, decision=ReviewDecision.APPROVE, comment="材料齐全，同意提交表决。"
                )
        awards.round_advance(actor=admin, award_round=rnd, to=AwardRoundStatus.REVIEWING)
        awards.round_advance(actor=admin, award_round=rnd, to=AwardRoundStatus.VOTING)
        approved = list(Nomination.objects.filter(round=rnd, status=NominationStatus.APPROVED).order_by("id"))
        for k, n in enumerate(approved):
            passes = k != len(approved) - 1  # the last one falls short
            awards.vote_record(
                actor=admin, nomination=n, votes_for=9 if passes else 4, votes_against=0 if passes else 4,
                abstentions=1 if passes else 3, present=11, entitled=13,
            )  # fmt: skip
        awards.notice_start(actor=admin, award_round=rnd)
        elected = list(
            Nomination.objects.filter(round=rnd, status=NominationStatus.ELECTED, person__isnull=False).order_by("id")
        )
        member = self.users.get("member1")
        if len(elected) >= 2:
            raiser = member or admin
            awards.objection_raise(actor=raiser, nomination=elected[0], text=content.OBJECTIONS[0])
            upheld = awards.objection_raise(
                actor=self.user("secretary2"), nomination=elected[1], text=content.OBJECTIONS[1]
            )
            awards.objection_handle(actor=admin, objection=upheld, finding=content.OBJECTION_FINDING, upheld=True)
            self.counts["objections"] = 2
        self.counts["award_rounds"] += 1
        self.college_round()
        self.last_year_round(school, kinds)

    def college_round(self) -> None:
        if self.college is None or self.branch1 is None or self.branch2 is None:
            return
        issuer = self.user("college1")
        year = self.today.year
        rnd = awards.round_create(
            actor=issuer, unit=self.college, year=year, title=f"{self.college.name}{year}年度优秀共产党员评选",
            kinds=[AwardKind.EXCELLENT_MEMBER], quotas={AwardKind.EXCELLENT_MEMBER: 5},
            nomination_deadline=self.today + datetime.timedelta(days=14),
        )  # fmt: skip
        made = []
        for branch, name in ((self.branch1, "secretary1"), (self.branch2, "secretary2")):
            person = self.persons.get("member1") if branch == self.branch1 else None
            if person is None:
                person = (
                    awards.eligible_people(AwardKind.EXCELLENT_MEMBER, branch)
                    .filter(user__isnull=True)
                    .order_by("id")
                    .first()
                )
            if person is None:
                continue
            made.append(
                awards.nomination_create(
                    actor=self.user(name),
                    award_round=rnd,
                    nominating_unit=branch,
                    kind=AwardKind.EXCELLENT_MEMBER,
                    person=person,
                    deeds=content.DEEDS[AwardKind.EXCELLENT_MEMBER].format(college=branch.name),
                )  # fmt: skip
            )
        if len(made) == 2:  # secretary2's nomination approved by the college; secretary1's still pending
            awards.nomination_review(
                actor=issuer, nomination=made[1], decision=ReviewDecision.APPROVE, comment="同意。"
            )
        self.counts["award_rounds"] += 1
        self.counts["nominations"] += len(made)

    def last_year_round(self, school, kinds) -> None:
        """Last year's final list, written directly with its past dates (the services act as of today)."""
        admin = self.user("admin")
        year = self.today.year - 1
        rnd = AwardRound.objects.create(
            unit=school, year=year, title=f"{year}年度“两优一先”评选表彰", kinds=list(kinds),
            quotas={AwardKind.EXCELLENT_MEMBER: 6, AwardKind.EXCELLENT_WORKER: 3, AwardKind.ADVANCED_ORG: 3},
            nomination_deadline=datetime.date(year, 5, 31), notice_days=5,
            notice_starts_on=datetime.date(year, 6, 16), notice_ends_on=awards.workdays_end(datetime.date(year, 6, 16), 5),
            status=AwardRoundStatus.FINAL, created_by=admin,
            created_at=datetime.datetime(year, 5, 6, 9, 0, tzinfo=self.now.tzinfo),
        )  # fmt: skip
        used_people = set(
            Nomination.objects.filter(round__year=self.today.year, person__isnull=False).values_list(
                "person_id", flat=True
            )
        )
        used_units = set(
            Nomination.objects.filter(round__year=self.today.year, nominee_unit__isnull=False).values_list(
                "nominee_unit_id", flat=True
            )
        )
        reviewed_at = datetime.datetime(year, 6, 5, 10, 0, tzinfo=self.now.tzinfo)
        noms, reviews = [], []
        for i, college in enumerate(self._colleges()):
            for kind in kinds:
                nominee = self._pick(kind, college, used_units if kind == AwardKind.ADVANCED_ORG else used_people)
                if nominee is None:
                    continue
                awarded = i != 2 or kind != AwardKind.EXCELLENT_MEMBER
                n = Nomination(
                    round=rnd, kind=kind, nominating_unit=college,
                    deeds=content.DEEDS[kind].format(college=college.name),
                    status=NominationStatus.AWARDED if awarded else NominationStatus.NOT_ELECTED,
                    votes_for=10 if awarded else 5, votes_against=1 if awarded else 5, abstentions=0 if awarded else 1,
                    voters_present=11, voters_entitled=13, created_by=admin,
                    created_at=datetime.datetime(year, 5, 20, 9, 0, tzinfo=self.now.tzinfo), **nominee,
                )  # fmt: skip
                noms.append(n)
        Nomination.objects.bulk_create(noms)
        for n in noms:
            reviews.append(
                NominationReview(
                    nomination=n,
                    unit=school,
                    decision=ReviewDecision.APPROVE,
                    comment="同意提交表决。",
                    actor=admin,
                    at=reviewed_at,
                )
            )
        NominationReview.objects.bulk_create(reviews)
        self.counts["award_rounds"] += 1
        self.counts["nominations"] += len(noms)
        self.counts["awarded_last_year"] = sum(1 for n in noms if n.status == NominationStatus.AWARDED)


def seed_democracy(root: OrgUnit, *, seed: int, today, now, creator: int, demo: dict[str, OrgUnit]) -> dict:
    """Write the democracy demo under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    seeder = Seeder(root, seed=seed, today=today, now=now, creator=creator, demo=demo)
    saved, ballots._rng = ballots._rng, random.Random(f"ballots:{seed}")  # the shuffle, reproducible here
    try:
        seeder.done_election()
        seeder.live_election()
        seeder.appraisals()
        seeder.award_rounds()
    finally:
        ballots._rng = saved
    counts = dict(sorted(seeder.counts.items()))
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=DEMOCRACY_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
