"""Elections (换届选举): the services of the elections area, from creating an election to the unit
above approving its result and the new committee being seated.

Rules and their sources (中国共产党基层组织选举工作条例, 2020 — "条例"):
- postponing or advancing an election by more than a year needs a written approval (第三条);
- 差额: at least seats × (1 + ratio) candidates, rounded up (第十三条; counting.min_candidates),
  except a direct equal election of the secretary / deputy secretary with its reason;
- candidates are full members (正式党员) of the unit on the roster; the voters are the unit's full
  members on the roster when the roll is frozen (probationary members have no vote, 党章 第七条);
- quorum: present more than 4/5 of entitled (counting.quorum_met); majority: more than half of
  those present (counting.has_majority); ties at the last seat → run-off; fewer than the seats
  with a majority → additional election (另行选举), or, when enough are elected
  (``MIN_FILLED``), the seats may be left empty.

Ballots themselves (casting, paper entry, the shuffle) are in ``voting/ballots.py``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import access_by_id, can
from cloudbranch.people.choices import CommitteePosition, PoliticalStatus, RosterStatus
from cloudbranch.people.models import Person

from . import counting
from .choices import ElectionKind, ElectionStatus, RoundKind, RoundStatus, VoterExclusion
from .models import Candidate, Election, Round, Tally, Voter

VIEW_PERM = "voting.view_election"
RUN_PERM = "voting.run_election"
APPROVE_PERM = "voting.approve_election"

#: 第三条: an election more than this many years after the term ended, or before it ends, needs
#: the written approval of the unit above (一般不超过 1 年).
POSTPONEMENT_LIMIT_YEARS = 1

#: Fewest seats that must be filled to leave the rest empty instead of an additional election.
#: A committee has at least 3 members (支部工作条例（试行）2018 第九条: 支部委员会由 3 至 5 人组成);
#: a secretary election needs its secretary; delegates: at least one.
MIN_FILLED = {ElectionKind.COMMITTEE: 3, ElectionKind.SECRETARY: 1, ElectionKind.DELEGATES: 1}

#: Kinds that may hold an equal (等额) election: direct elections of 书记/副书记 (条例 2020).
EQUAL_ALLOWED = frozenset({ElectionKind.SECRETARY})

#: Posts a secretary election can fill.
SECRETARY_POSTS = (CommitteePosition.SECRETARY, CommitteePosition.DEPUTY_SECRETARY)

EDITABLE = ("kind", "title", "seats", "surplus_ratio", "equal_election", "equal_reason", "term_years")
EDITABLE += ("election_date", "postponement_approval")

FINISHED = (ElectionStatus.CONFIRMED, ElectionStatus.CANCELLED)


# --- access --------------------------------------------------------------------------------


def voter_of(user, election) -> Voter | None:
    """The user's Voter row in this election (through their Person), or None. THE rule for
    "a member acts in an election because they are on its roll"."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Voter.objects.select_related("person").filter(election=election, person__user=user).first()


def visible_q(user) -> Q | None:
    """Elections a user may see: those of units where they hold voting.view_election, and those
    where they are a voter. None when there are none."""
    from .models import Election as E

    parts = []
    officer = E.objects.restrict(user, VIEW_PERM)
    if not officer.query.is_empty():
        parts.append(Q(pk__in=officer.values("pk")))
    if getattr(user, "is_authenticated", False):
        parts.append(Q(pk__in=Voter.objects.filter(person__user=user).values("election_id")))
    if not parts:
        return None
    q = parts[0]
    for p in parts[1:]:
        q |= p
    return q


def access_election(user, pk, *, manage: bool = False) -> Election:
    """The election, if the user may see it (404 otherwise); with ``manage``, 403 unless they
    may run it (hold voting.run_election at its unit)."""
    q = visible_q(user)
    if q is None:
        raise Http404
    try:
        election = Election.objects.select_related("unit", "unit__parent").filter(q).get(pk=pk)
    except (Election.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if manage and not can(user, RUN_PERM, election.unit):
        raise PermissionDenied
    return election


def may_run(user, election) -> bool:
    return can(user, RUN_PERM, election.unit)


def may_approve(user, election) -> bool:
    """Only the unit ABOVE approves: voting.approve_election at the parent (not at the unit)."""
    parent = election.unit.parent
    return parent is not None and can(user, APPROVE_PERM, parent)


def _manage(actor, election, *, lock: bool = True) -> Election:
    pk = election.pk if isinstance(election, Election) else election
    election = access_election(actor, pk, manage=True)
    if lock:
        Election.objects.select_for_update().filter(pk=election.pk).first()
        election.refresh_from_db(fields=["status"])
    return election


#: The largest primary key (the ids are 32-bit integers); larger numbers are input errors.
MAX_ID = 2**31 - 1


def clean_ids(values, *, field: str, message: str) -> list[int]:
    """Ids typed or posted by a client as whole numbers 1..MAX_ID; anything else is a 422 with
    ``message`` (never a database overflow or a ValueError)."""
    out = []
    for value in values:
        try:
            pk = int(value)
        except (TypeError, ValueError):
            pk = 0
        if not 1 <= pk <= MAX_ID:
            raise DomainError(message, errors=[{"field": field, "message": message}])
        out.append(pk)
    return out


def _require_status(election, *statuses, message=None) -> None:
    if election.status not in statuses:
        raise ConflictError(
            message or f"选举当前为“{election.get_status_display()}”，不能进行此操作。",
            errors=[{"field": "status", "message": election.get_status_display()}],
        )


# --- the election itself -------------------------------------------------------------------


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def needs_approval(unit: OrgUnit, election_date: datetime.date) -> bool:
    """第三条: more than a year after the term ended, or more than a year before it ends."""
    ends = unit.term_ends_on
    if ends is None or election_date is None:
        return False
    return election_date > _add_years(ends, POSTPONEMENT_LIMIT_YEARS) or election_date < _add_years(
        ends, -POSTPONEMENT_LIMIT_YEARS
    )


def _check(election: Election) -> None:
    errors = []
    if not election.title.strip():
        errors.append({"field": "title", "message": "请填写选举名称"})
    if not election.seats or election.seats < 1:
        errors.append({"field": "seats", "message": "应选名额至少 1 名"})
    ratio = Decimal(str(election.surplus_ratio))
    if ratio < 0 or ratio > 1:
        errors.append({"field": "surplus_ratio", "message": "差额比例应在 0 到 1 之间"})
    if election.kind == ElectionKind.DELEGATES and ratio < counting.DEFAULT_SURPLUS_RATIO:
        errors.append({"field": "surplus_ratio", "message": "代表选举的差额比例不得低于 20%"})
    if not election.term_years or election.term_years < 1:
        errors.append({"field": "term_years", "message": "任期至少 1 年"})
    if election.equal_election:
        if election.kind not in EQUAL_ALLOWED:
            errors.append({"field": "equal_election", "message": "只有直接选举书记、副书记可以实行等额选举"})
        if not election.equal_reason.strip():
            errors.append({"field": "equal_reason", "message": "等额选举须写明依据"})
    if election.election_date is None:
        errors.append({"field": "election_date", "message": "请填写选举日期"})
    elif (
        election.kind != ElectionKind.DELEGATES  # the term rule is about the unit's own 换届
        and needs_approval(election.unit, election.election_date)
        and not election.postponement_approval.strip()
    ):
        errors.append(
            {
                "field": "postponement_approval",
                "message": f"本届任期{election.unit.term_ends_on:%Y-%m-%d}届满，提前或延期换届超过一年，须写明上级批复（条例第三条）",
            }
        )
    if errors:
        raise DomainError("选举信息有误。", errors=errors)


def election_create(
    *,
    actor,
    unit,
    kind: str,
    title: str,
    seats: int,
    election_date: datetime.date,
    surplus_ratio=None,
    equal_election: bool = False,
    equal_reason: str = "",
    term_years: int | None = None,
    postponement_approval: str = "",
) -> Election:
    unit_id = unit.pk if isinstance(unit, OrgUnit) else unit
    unit = access_by_id(actor, OrgUnit, unit_id, action=RUN_PERM, view="orgs.view_orgunit")
    if kind not in ElectionKind.values:
        raise DomainError("选举类型无效。", errors=[{"field": "kind", "message": "选举类型无效"}])
    election = Election(
        unit=unit,
        kind=kind,
        title=(title or "").strip(),
        seats=seats,
        surplus_ratio=counting.DEFAULT_SURPLUS_RATIO if surplus_ratio is None else Decimal(str(surplus_ratio)),
        equal_election=equal_election,
        equal_reason=(equal_reason or "").strip(),
        term_years=term_years or unit.term_years,
        election_date=election_date,
        postponement_approval=(postponement_approval or "").strip(),
        created_by=actor,
    )
    _check(election)
    with transaction.atomic():
        election.save()
        audit_record(
            actor=actor,
            action="voting.election.create",
            target=election,
            changes={f: {"new": str(v)} for f, v in snapshot(election, EDITABLE).items()} | {"unit": {"new": unit.pk}},
        )
    return election


def election_update(*, actor, election, **fields) -> Election:
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.DRAFT, message="候选人公布后不能再修改选举信息。")
        before = snapshot(election, EDITABLE)
        for name, value in fields.items():
            if name not in EDITABLE:
                raise DomainError(f"不能修改 {name}。")
            if name == "surplus_ratio" and value is not None:
                value = Decimal(str(value))
            if isinstance(value, str):
                value = value.strip()
            setattr(election, name, value)
        _check(election)
        election.save()
        audit_record(
            actor=actor,
            action="voting.election.update",
            target=election,
            changes={
                k: {"old": str(v["old"]), "new": str(v["new"])}
                for k, v in field_changes(before, election, fields=EDITABLE).items()
            },
        )
    return election


def election_cancel(*, actor, election, reason: str) -> Election:
    reason = (reason or "").strip()
    with transaction.atomic():
        election = _manage(actor, election)
        if not reason:
            raise DomainError("请写明取消原因。", errors=[{"field": "reason", "message": "请写明取消原因"}])
        if election.status in FINISHED:
            raise ConflictError("选举已经结束，不能取消。")
        before = election.status
        election.status = ElectionStatus.CANCELLED
        election.cancel_reason = reason[:200]
        election.save(update_fields=["status", "cancel_reason"])
        Round.objects.filter(election=election, status=RoundStatus.OPEN).update(
            status=RoundStatus.VOID, closed_at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="voting.election.cancel",
            target=election,
            changes={"status": {"old": before, "new": election.status}, "reason": {"new": reason}},
        )
    return election


# --- candidates ----------------------------------------------------------------------------


def eligible_people(election):
    """Full members on the roster in the unit's subtree: who may stand and who gets a vote."""
    return Person.objects.filter(
        unit__path__startswith=election.unit.path,
        political_status=PoliticalStatus.FULL,
        roster_status=RosterStatus.ACTIVE,
    )


def candidate_add(*, actor, election, person, introduction: str = "", sort_order: int | None = None) -> Candidate:
    person_id = person.pk if isinstance(person, Person) else person
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.DRAFT, message="候选人已经公布，不能再增加。")
        person = Person.objects.filter(pk=person_id, unit__path__startswith=election.unit.path).first()
        if person is None:
            raise DomainError("只能从本组织的党员中提名候选人。", errors=[{"field": "person", "message": "不在本组织"}])
        if person.political_status != PoliticalStatus.FULL:
            raise DomainError(
                f"{person.name} 不是正式党员，不能作为候选人（预备党员没有被选举权）。",
                errors=[{"field": "person", "message": "不是正式党员"}],
            )
        if person.roster_status != RosterStatus.ACTIVE:
            raise DomainError(
                f"{person.name} 不在册，不能作为候选人。", errors=[{"field": "person", "message": "不在册"}]
            )
        if Candidate.objects.filter(election=election, person=person).exists():
            raise DomainError(f"{person.name} 已是候选人。", errors=[{"field": "person", "message": "已是候选人"}])
        if sort_order is None:
            sort_order = Candidate.objects.filter(election=election).count() + 1
        candidate = Candidate.objects.create(
            election=election, person=person, introduction=(introduction or "").strip()[:300], sort_order=sort_order
        )
        audit_record(
            actor=actor,
            action="voting.candidate.add",
            target=candidate,
            changes={"election": {"new": election.pk}, "person": {"new": person.pk}, "sort_order": {"new": sort_order}},
        )
    return candidate


def _candidate(actor, candidate_id) -> tuple[Election, Candidate]:
    candidate = Candidate.objects.filter(pk=candidate_id).only("election_id").first()
    if candidate is None:
        raise Http404
    election = _manage(actor, candidate.election_id)
    return election, Candidate.objects.select_related("person").get(pk=candidate_id)


def candidate_update(*, actor, candidate, sort_order: int | None = None, introduction: str | None = None) -> Candidate:
    with transaction.atomic():
        election, candidate = _candidate(actor, getattr(candidate, "pk", candidate))
        _require_status(election, ElectionStatus.DRAFT, message="候选人已经公布，不能再修改。")
        before = snapshot(candidate, ("sort_order", "introduction"))
        if sort_order is not None:
            candidate.sort_order = sort_order
        if introduction is not None:
            candidate.introduction = introduction.strip()[:300]
        candidate.save(update_fields=["sort_order", "introduction"])
        audit_record(
            actor=actor,
            action="voting.candidate.update",
            target=candidate,
            changes=field_changes(before, candidate, fields=("sort_order", "introduction")),
        )
    return candidate


def candidate_remove(*, actor, candidate) -> None:
    with transaction.atomic():
        election, candidate = _candidate(actor, getattr(candidate, "pk", candidate))
        _require_status(election, ElectionStatus.DRAFT, message="候选人已经公布，不能再删除。")
        audit_record(
            actor=actor,
            action="voting.candidate.remove",
            target=candidate,
            changes={"election": {"old": election.pk}, "person": {"old": candidate.person_id}},
        )
        candidate.delete()


def surplus_check(election, n_candidates: int) -> str | None:
    """The 差额 rule's complaint about ``n_candidates`` candidates, or None if they are enough."""
    if election.equal_election:
        if n_candidates < election.seats:
            return f"等额选举的候选人数应等于应选名额 {election.seats} 名，现有 {n_candidates} 名。"
        return None
    needed = counting.min_candidates(election.seats, election.surplus_ratio)
    if n_candidates < needed:
        pct = int(Decimal(str(election.surplus_ratio)) * 100)
        return (
            f"差额选举：应选 {election.seats} 名，候选人应多于应选人数的 {pct}%（向上取整），"
            f"至少 {needed} 名，现有 {n_candidates} 名。"
        )
    return None


def candidates_publish(*, actor, election) -> Election:
    """DRAFT → NOMINATED: the candidate list is fixed; the 差额 rule is checked here."""
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.DRAFT)
        candidates = list(Candidate.objects.filter(election=election).select_related("person"))
        problem = surplus_check(election, len(candidates))
        if problem:
            raise DomainError(problem, errors=[{"field": "candidates", "message": problem}])
        not_full = [c.person.name for c in candidates if c.person.political_status != PoliticalStatus.FULL]
        if not_full:
            raise DomainError(f"{'、'.join(not_full)} 已不是正式党员，不能作为候选人。")
        election.status = ElectionStatus.NOMINATED
        election.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.election.nominate",
            target=election,
            changes={
                "status": {"old": ElectionStatus.DRAFT, "new": election.status},
                "candidates": {"new": len(candidates)},
            },
        )
    return election


# --- the roll ------------------------------------------------------------------------------


def roll_freeze(*, actor, election) -> int:
    """NOMINATED → ROLL_FROZEN: snapshot the voters — the unit's full members on the roster now.
    People who join later are not added; people who leave stay on the roll."""
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.NOMINATED, message="请先公布候选人，再确定选举人名单。")
        people = list(eligible_people(election).values_list("pk", flat=True))
        if not people:
            raise DomainError("本组织没有在册的正式党员，无法确定选举人名单。")
        Voter.objects.bulk_create([Voter(election=election, person_id=pk) for pk in people])
        election.status = ElectionStatus.ROLL_FROZEN
        election.roll_frozen_at = timezone.now()
        election.save(update_fields=["status", "roll_frozen_at"])
        audit_record(
            actor=actor,
            action="voting.election.freeze_roll",
            target=election,
            changes={
                "status": {"old": ElectionStatus.NOMINATED, "new": election.status},
                "voters": {"new": len(people)},
            },
        )
    return len(people)


def _open_round(election) -> Round | None:
    return Round.objects.filter(election=election, status=RoundStatus.OPEN).first()


def _voter(actor, voter_id) -> tuple[Election, Voter]:
    row = Voter.objects.filter(pk=voter_id).only("election_id").first()
    if row is None:
        raise Http404
    election = _manage(actor, row.election_id)
    return election, Voter.objects.select_related("person").get(pk=voter_id)


def voter_exclude(*, actor, voter, reason: str, note: str) -> Voter:
    """Before voting, an approved absentee (illness, abroad, ...) is not counted among those who
    should attend (应到). ``reason`` empty puts them back."""
    note = (note or "").strip()
    with transaction.atomic():
        election, voter = _voter(actor, getattr(voter, "pk", voter))
        _require_status(election, ElectionStatus.ROLL_FROZEN, message="投票开始后不能再调整应到人数。")
        if reason and reason not in VoterExclusion.values:
            raise DomainError("不计入应到人数的原因无效。", errors=[{"field": "reason", "message": "原因无效"}])
        if reason and not note:
            raise DomainError("请写明批准情况。", errors=[{"field": "note", "message": "请写明批准情况"}])
        before = snapshot(voter, ("excluded", "exclusion_note", "present"))
        voter.excluded = reason or ""
        voter.exclusion_note = note[:200] if reason else ""
        if reason:
            voter.present = False
            voter.present_at = None
        voter.save(update_fields=["excluded", "exclusion_note", "present", "present_at"])
        audit_record(
            actor=actor,
            action="voting.voter.exclude" if reason else "voting.voter.include",
            target=voter,
            changes=field_changes(before, voter, fields=("excluded", "exclusion_note", "present")),
        )
    return voter


def _set_present(actor, election, voter, present: bool, *, action: str) -> Voter:
    _require_status(election, ElectionStatus.ROLL_FROZEN, ElectionStatus.VOTING)
    if _open_round(election):
        raise ConflictError("本轮投票进行中，到会人数已经确定，不能再变更（下一轮开始前可以调整）。")
    if present and voter.excluded:
        raise DomainError(f"{voter.person.name} 已批准不计入应到人数，请先恢复。")
    if voter.present == present:
        return voter
    voter.present = present
    voter.present_at = timezone.now() if present else None
    voter.save(update_fields=["present", "present_at"])
    audit_record(actor=actor, action=action, target=voter, changes={"present": {"old": not present, "new": present}})
    return voter


def voter_presence(*, actor, voter, present: bool) -> Voter:
    """The teller marks a voter present (or not)."""
    with transaction.atomic():
        election, voter = _voter(actor, getattr(voter, "pk", voter))
        return _set_present(actor, election, voter, present, action="voting.voter.presence")


def voter_checkin(*, actor, election) -> Voter:
    """The voter taps 报到 on their phone, on the day of the election."""
    with transaction.atomic():
        election = access_election(actor, getattr(election, "pk", election))
        Election.objects.select_for_update().filter(pk=election.pk).first()
        election.refresh_from_db(fields=["status"])
        voter = voter_of(actor, election)
        if voter is None:
            raise PermissionDenied
        if election.election_date != timezone.localdate():
            raise DomainError(f"只能在选举当天（{election.election_date:%Y-%m-%d}）报到。")
        return _set_present(actor, election, voter, True, action="voting.voter.checkin")


def roll_counts(election) -> dict:
    """应到 (entitled = voters − excluded), 实到 (present), voters, excluded — one query."""
    agg = Voter.objects.filter(election=election).aggregate(
        n_voters=Count("pk"),
        n_excluded=Count("pk", filter=~Q(excluded="")),
        n_present=Count("pk", filter=Q(present=True, excluded="")),
    )
    row = {"voters": agg["n_voters"], "excluded": agg["n_excluded"], "present": agg["n_present"]}
    row["entitled"] = row["voters"] - row["excluded"]
    row["quorum_needed"] = counting.quorum_needed(row["entitled"])
    row["quorum_met"] = counting.quorum_met(row["present"], row["entitled"])
    return row


# --- rounds --------------------------------------------------------------------------------


def elected_so_far(election) -> list[Candidate]:
    return list(Candidate.objects.filter(election=election, elected=True).select_related("person"))


def next_round_plan(election) -> dict | None:
    """What the next round would be: {"kind", "seats", "candidate_ids"}; None when nothing is
    left to vote on. Derived from the last closed (or void) round."""
    last = Round.objects.filter(election=election).exclude(status=RoundStatus.OPEN).order_by("-number").first()
    if election.status not in (ElectionStatus.ROLL_FROZEN, ElectionStatus.VOTING):
        return None
    if last is None:
        ids = list(Candidate.objects.filter(election=election).values_list("pk", flat=True))
        return {"kind": RoundKind.FIRST, "seats": election.seats, "candidate_ids": ids}
    if last.status == RoundStatus.VOID:  # the same vote again
        return {
            "kind": last.kind,
            "seats": last.seats,
            "candidate_ids": list(last.candidates.values_list("pk", flat=True)),
        }
    nxt = last.result.get("next")
    if nxt == counting.NEXT_RUNOFF:
        return {"kind": RoundKind.RUNOFF, "seats": last.result["tied_seats"], "candidate_ids": last.result["tied"]}
    if nxt == counting.NEXT_ADDITIONAL:
        remaining = election.seats - Candidate.objects.filter(election=election, elected=True).count()
        votes = dict(
            Tally.objects.filter(round=last, candidate__elected=False).values_list("candidate_id", "votes_for")
        )
        ids = counting.additional_candidates(
            votes, remaining, ratio=election.surplus_ratio, equal=election.equal_election
        )
        return {"kind": RoundKind.ADDITIONAL, "seats": remaining, "candidate_ids": ids}
    return None


def round_open(*, actor, election, candidate_ids: list[int] | None = None) -> Round:
    """Open the next round. Quorum: present voters must be MORE than 4/5 of the entitled; both
    numbers are frozen on the round. An additional election may name its candidates (among the
    not elected, at least as many as the seats); by default those with most votes."""
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.ROLL_FROZEN, ElectionStatus.VOTING)
        if _open_round(election):
            raise ConflictError("已有一轮投票正在进行。")
        plan = next_round_plan(election)
        if plan is None:
            raise ConflictError("没有需要投票的名额。")
        if candidate_ids is not None:
            candidate_ids = clean_ids(candidate_ids, field="candidate_ids", message="候选人有误。")
            if plan["kind"] != RoundKind.ADDITIONAL:
                raise DomainError("只有另行选举可以调整候选人。")
            allowed = set(
                Candidate.objects.filter(election=election, elected=False, pk__in=candidate_ids).values_list(
                    "pk", flat=True
                )
            )
            if allowed != set(candidate_ids) or len(allowed) < plan["seats"]:
                raise DomainError(f"另行选举的候选人应从未当选的候选人中产生，且不少于 {plan['seats']} 名。")
            plan["candidate_ids"] = sorted(allowed)
        counts = roll_counts(election)
        if not counting.quorum_met(counts["present"], counts["entitled"]):
            raise DomainError(
                f"到会 {counts['present']} 人，应到 {counts['entitled']} 人：到会人数须超过应到人数的五分之四"
                f"（至少 {counts['quorum_needed']} 人），不能进行选举。",
                errors=[{"field": "present", "message": "未达到法定人数"}],
            )
        number = (
            Round.objects.filter(election=election).order_by("-number").values_list("number", flat=True).first() or 0
        ) + 1
        rnd = Round.objects.create(
            election=election,
            number=number,
            kind=plan["kind"],
            seats=plan["seats"],
            entitled=counts["entitled"],
            present=counts["present"],
        )
        rnd.candidates.set(plan["candidate_ids"])
        before = election.status
        election.status = ElectionStatus.VOTING
        election.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.round.open",
            target=rnd,
            changes={
                "election": {"new": election.pk},
                "number": {"new": number},
                "kind": {"new": rnd.kind},
                "seats": {"new": rnd.seats},
                "entitled": {"new": rnd.entitled},
                "present": {"new": rnd.present},
                "candidates": {"new": plan["candidate_ids"]},
                "status": {"old": before, "new": election.status},
            },
        )
    return rnd


def _round(actor, round_id, *, lock=True) -> tuple[Election, Round]:
    row = Round.objects.filter(pk=round_id).only("election_id").first()
    if row is None:
        raise Http404
    election = _manage(actor, row.election_id)
    qs = Round.objects.select_for_update() if lock else Round.objects
    return election, qs.get(pk=round_id)


def round_close(*, actor, round) -> Round:
    """Close a round and count it. More ballots than voters who voted → the round is void
    (收回选票多于投票人数，选举无效) and may be held again. The ballots are resealed first
    (ballots.reseal): rewritten in the closing transaction, in a new random order."""
    with transaction.atomic():
        election, rnd = _round(actor, getattr(round, "pk", round))
        if rnd.status != RoundStatus.OPEN:
            raise ConflictError("这一轮已经结束。")
        from .ballots import reseal  # ballots.py builds on this module

        reseal(rnd)  # no ballot row keeps the transaction id of the cast that wrote it
        ballots = list(rnd.ballots.values_list("marks", flat=True))
        marks = rnd.marks.count()
        rnd.ballots_cast = len(ballots)
        rnd.paper_ballots = rnd.marks.filter(paper=True).count()
        rnd.closed_at = timezone.now()
        if len(ballots) > marks:
            rnd.status = RoundStatus.VOID
            rnd.result = {"void_reason": f"收回选票 {len(ballots)} 张，多于投票人数 {marks} 人，本轮选举无效。"}
            rnd.save()
            audit_record(
                actor=actor,
                action="voting.round.void",
                target=rnd,
                changes={"ballots_cast": {"new": len(ballots)}, "voted": {"new": marks}},
            )
            return rnd
        ids = list(rnd.candidates.values_list("pk", flat=True))
        count = counting.count_ballots(ballots, ids, rnd.seats)
        outcome = counting.decide({cid: c.votes_for for cid, c in count.per_candidate.items()}, rnd.seats, rnd.present)
        elected = set(outcome.elected)
        Tally.objects.bulk_create(
            [
                Tally(
                    round=rnd,
                    candidate_id=cid,
                    votes_for=c.votes_for,
                    votes_against=c.votes_against,
                    abstentions=c.abstentions,
                    elected=cid in elected,
                )
                for cid, c in count.per_candidate.items()
            ]
        )
        for cid in outcome.elected:
            Candidate.objects.filter(pk=cid).update(
                elected=True, elected_round=rnd.number, votes=count.per_candidate[cid].votes_for
            )
        rnd.valid_ballots = count.valid
        rnd.status = RoundStatus.CLOSED
        rnd.result = {
            "elected": outcome.elected,
            "tied": outcome.tied,
            "tied_seats": outcome.tied_seats,
            "remaining": outcome.remaining,
            "next": outcome.next,
            "invalid": count.invalid,
            "voted": marks,
            "majority_needed": counting.majority_needed(rnd.present),
        }
        rnd.save()
        before = election.status
        if outcome.next is None:
            election.status = ElectionStatus.COUNTED
            election.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.round.close",
            target=rnd,
            changes={
                "ballots_cast": {"new": count.cast},
                "valid_ballots": {"new": count.valid},
                "elected": {"new": outcome.elected},
                "next": {"new": outcome.next},
                "status": {"old": before, "new": election.status},
            },
        )
    return rnd


def pending_next(election) -> str | None:
    last = Round.objects.filter(election=election, status=RoundStatus.CLOSED).order_by("-number").first()
    return last.result.get("next") if last else None


def may_leave_empty(election) -> bool:
    """After a round left seats empty: the seats may stay empty when at least ``MIN_FILLED`` are
    elected (a committee keeps at least 3 members); otherwise an additional election is needed."""
    if (
        election.status != ElectionStatus.VOTING
        or _open_round(election)
        or pending_next(election) != counting.NEXT_ADDITIONAL
    ):
        return False
    filled = Candidate.objects.filter(election=election, elected=True).count()
    return filled >= min(MIN_FILLED[election.kind], election.seats)


def result_accept_fewer(*, actor, election, reason: str) -> Election:
    """Leave the remaining seats empty (no additional election), when enough are elected."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请写明不再另行选举的决定。", errors=[{"field": "reason", "message": "必填"}])
    with transaction.atomic():
        election = _manage(actor, election)
        if not may_leave_empty(election):
            need = min(MIN_FILLED[election.kind], election.seats)
            raise ConflictError(f"当选人数须不少于 {need} 名才能不再另行选举，请进行另行选举。")
        election.status = ElectionStatus.COUNTED
        election.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.election.accept_fewer",
            target=election,
            changes={"status": {"old": ElectionStatus.VOTING, "new": election.status}, "reason": {"new": reason}},
        )
    return election


# --- result --------------------------------------------------------------------------------


def allowed_posts(election) -> list[tuple[str, str]]:
    if election.kind == ElectionKind.SECRETARY:
        return [(v, str(CommitteePosition(v).label)) for v in SECRETARY_POSTS]
    if election.kind == ElectionKind.COMMITTEE:
        return list(CommitteePosition.choices)
    return []


def posts_assign(*, actor, election, positions: dict) -> list[Candidate]:
    """The division of posts among the elected (分工): committee posts from CommitteePosition, one
    书记; in a secretary election 书记 / 副书记. Delegates have no posts."""
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.COUNTED, message="计票完成后、上报前才能分工。")
        winners = {c.pk: c for c in elected_so_far(election)}
        allowed = {v for v, _label in allowed_posts(election)}
        errors = []
        clean = {}
        for key, position in positions.items():
            cid = int(key) if str(key).isascii() and str(key).isdigit() else None
            if cid not in winners:
                errors.append({"field": f"position_{key}", "message": "不是当选人"})
            elif position not in allowed:
                errors.append({"field": f"position_{cid}", "message": "职务无效"})
            else:
                clean[cid] = position
        if list(clean.values()).count(CommitteePosition.SECRETARY) > 1:
            errors.append({"field": "positions", "message": "只能有一名书记"})
        if errors:
            raise DomainError("分工有误。", errors=errors)
        for cid, position in clean.items():
            c = winners[cid]
            if c.position != position:
                audit_record(
                    actor=actor,
                    action="voting.candidate.position",
                    target=c,
                    changes={"position": {"old": c.position, "new": position}},
                )
                c.position = position
                c.save(update_fields=["position"])
    return list(winners.values())


def _check_posts(election, winners) -> None:
    if election.kind == ElectionKind.DELEGATES:
        return
    missing = [c.person.name for c in winners if not c.position]
    if missing:
        raise DomainError(f"请先为当选人分工：{'、'.join(missing)}。")
    if [c.position for c in winners].count(CommitteePosition.SECRETARY) != 1:
        raise DomainError("当选人中须有一名书记。")


def _approvers(unit: OrgUnit) -> list[int]:
    """Users who may approve at the unit above: holders of a role carrying voting.approve_election
    at the nearest ancestor where anyone holds one."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if APPROVE_PERM in perms]
    rows = list(
        RoleAssignment.objects.active()
        .filter(role__in=roles, unit_id__in=unit.ancestor_ids, user__is_active=True)
        .values_list("user_id", "unit__depth")
    )
    if not rows:
        return []
    deepest = max(d for _u, d in rows)
    return sorted({u for u, d in rows if d == deepest})


def result_report(*, actor, election) -> Election:
    """COUNTED → REPORTED: the result and the division of posts go to the unit above."""
    with transaction.atomic():
        election = _manage(actor, election)
        _require_status(election, ElectionStatus.COUNTED)
        if election.unit.parent_id is None:
            raise DomainError("该组织没有上级党组织，无法报批。")
        winners = elected_so_far(election)
        if election.kind == ElectionKind.SECRETARY and len(winners) == 1 and not winners[0].position:
            # A secretary election with one seat: the winner is the secretary (书记).
            posts_assign(actor=actor, election=election, positions={winners[0].pk: CommitteePosition.SECRETARY})
            winners = elected_so_far(election)
        _check_posts(election, winners)
        election.status = ElectionStatus.REPORTED
        election.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.election.report",
            target=election,
            changes={"status": {"old": ElectionStatus.COUNTED, "new": election.status}},
        )
        notify(
            recipients=_approvers(election.unit),
            category=Category.DEMOCRACY,
            title=f"{election.unit.name}选举结果待批准",
            body=f"{election.title}：选举结果已上报，请审批。",
            url=reverse("voting:result", args=[election.pk]),
            actor=actor,
        )
    return election


def result_approve(*, actor, election) -> Election:
    """REPORTED → CONFIRMED by the unit ABOVE (voting.approve_election at the parent). For a
    committee or secretary election the new committee is seated and the unit's term starts."""
    pk = getattr(election, "pk", election)
    with transaction.atomic():
        election = access_election(actor, pk)
        if not may_approve(actor, election):
            raise PermissionDenied
        Election.objects.select_for_update().filter(pk=election.pk).first()
        election.refresh_from_db(fields=["status"])
        _require_status(election, ElectionStatus.REPORTED)
        winners = elected_so_far(election)
        _check_posts(election, winners)
        election.status = ElectionStatus.CONFIRMED
        election.confirmed_at = timezone.now()
        election.save(update_fields=["status", "confirmed_at"])
        audit_record(
            actor=actor,
            action="voting.election.approve",
            target=election,
            changes={"status": {"old": ElectionStatus.REPORTED, "new": election.status}},
        )
        if election.kind in (ElectionKind.COMMITTEE, ElectionKind.SECRETARY):
            from cloudbranch.people.services import committee_term_record

            committee_term_record(
                actor=actor,
                unit=election.unit,
                seats=[(c.person, c.position) for c in winners],
                started_on=election.election_date,
                term_years=election.term_years,
                reason=f"{election.title}（选举结果经上级批准）",
            )
        notify(
            recipients=[election.created_by_id],
            category=Category.DEMOCRACY,
            title=f"{election.title}：选举结果已批准",
            url=reverse("voting:result", args=[election.pk]),
            actor=actor,
        )
    return election
