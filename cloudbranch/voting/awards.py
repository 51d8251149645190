"""评先评优 (award nominations): the rules and the services that write.

The life of a round (``AwardRound``), issued by a unit's committee for its subtree:

* **nominating** — units below nominate (``voting.add_nomination`` at the nominating unit) until
  the nomination deadline (inclusive). A nominee is
  - 优秀共产党员: a full member (正式党员) on the roster of the nominating unit's subtree;
  - 优秀党务工作者: the same, who also holds a sitting committee seat or a Party role;
  - 先进基层党组织: an active branch or general branch in the nominating unit's subtree.
  One nomination per nominee per kind per round (409). Deeds of at least 50 characters.
* **review climbs the tree** — ``pending_at`` starts at the nominating unit's parent; whoever
  holds ``voting.review_nomination`` over ``pending_at`` forwards it one level up, or rejects it
  with a comment; at the issuing unit the review approves it for the vote. A nomination made by
  the issuing unit itself starts approved. Withdrawal only before the first review.
* **voting** — the issuing committee votes per approved nomination: elected when the votes for
  are more than half of the committee members entitled (应到) and more than half of them are
  present; never more elected than the quota of the kind.
* **notice** (公示) — from a start date for ``notice_days`` WORKING days; everyone in the issuing
  unit's subtree sees it and may raise an objection during it; an upheld objection revokes.
* **final** — after the notice period ended (the day after its last day at the earliest) and
  with every objection handled: elected → awarded, the list is published, the awarded notified.

Working days come from the holiday calendar of the development app (``CalendarDay``: weekday
holidays and weekend make-up days). That app sits in the same layer, so it is read through
``apps.get_model`` in :func:`workdays_end` rather than imported.
"""

from __future__ import annotations

import datetime

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.choices import Category
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS, Role
from cloudbranch.orgs.scoping import can, granted_prefixes
from cloudbranch.people.choices import PoliticalStatus, RosterStatus
from cloudbranch.people.models import CommitteeMembership, Person
from cloudbranch.people.selectors import own_person

from .choices import UNIT_AWARDS, AwardKind, AwardRoundStatus, NominationStatus, ReviewDecision
from .models import AwardRound, Nomination, NominationReview, Objection

VIEW_PERM = "voting.view_awardround"
ISSUE_PERM = "voting.add_awardround"
NOMINATE_PERM = "voting.add_nomination"
REVIEW_PERM = "voting.review_nomination"

MIN_DEEDS = 50
DEFAULT_NOTICE_DAYS = 5
MAX_NOTICE_DAYS = 30
MIN_OBJECTION = 10
COMMENT_MAX = 300
NOMINEE_UNIT_KINDS = frozenset(BRANCH_KINDS | {UnitKind.GENERAL_BRANCH})
# A Party role (for 优秀党务工作者): any role but plain membership / applicant.
WORKER_ROLES = frozenset(set(Role.values) - {Role.MEMBER, Role.APPLICANT})

ROUND_FIELDS = ("status", "notice_starts_on", "notice_ends_on")
NOMINATION_FIELDS = (
    "status",
    "pending_at",
    "votes_for",
    "votes_against",
    "abstentions",
    "voters_present",
    "voters_entitled",
)


def _today() -> datetime.date:
    """Today in the site's time zone (tests replace it to cross a boundary)."""
    return timezone.localdate()


def _err(message: str, field: str | None = None, cls=DomainError):
    return cls(message, errors=[{"field": field, "message": message}] if field else [])


# --- the working-day calendar ---------------------------------------------------------------


def workdays_end(starts_on: datetime.date, workdays: int) -> datetime.date:
    """The last day of a period of ``workdays`` working days beginning on ``starts_on`` (which
    counts when it is itself a working day): Monday–Friday, minus the holidays and plus the
    make-up days of the development app's ``CalendarDay`` rows. One query."""
    if workdays < 1:
        raise ValueError("workdays must be at least 1")
    calendar_day = apps.get_model("development", "CalendarDay")
    window = starts_on + datetime.timedelta(days=workdays * 2 + 31)  # no holiday season is longer
    overrides = dict(calendar_day.objects.filter(date__range=(starts_on, window)).values_list("date", "is_workday"))
    day, counted = starts_on, 0
    while True:
        if overrides.get(day, day.weekday() < 5):
            counted += 1
            if counted == workdays:
                return day
        day += datetime.timedelta(days=1)


# --- who is who -------------------------------------------------------------------------------


def in_subtree(unit: OrgUnit, of: OrgUnit) -> bool:
    return unit.path.startswith(of.path)


def in_audience(user, award_round: AwardRound) -> bool:
    """Whether ``user`` belongs to the issuing unit's subtree: their own person is on a unit in
    it, or they hold ``voting.view_awardround`` over some unit in it (or above it). The notice
    and the final list are open to them; they may object during the notice."""
    if user is None or not user.is_authenticated:
        return False
    path = award_round.unit.path
    if any(p.startswith(path) or path.startswith(p) for p in granted_prefixes(user, VIEW_PERM)):
        return True
    person = own_person(user)
    return person is not None and person.unit.path.startswith(path)


def is_issuer(user, award_round: AwardRound) -> bool:
    """An officer of the issuing committee (or above): issues, votes, runs the notice, finalizes."""
    return can(user, ISSUE_PERM, award_round.unit)


def may_review(user, nomination: Nomination) -> bool:
    return (
        nomination.status == NominationStatus.PENDING
        and nomination.pending_at_id is not None
        and can(user, REVIEW_PERM, nomination.pending_at)
    )


def nominating_units(user, award_round: AwardRound) -> list[OrgUnit]:
    """The units in whose name ``user`` may nominate in the round: each unit where they hold
    ``voting.add_nomination`` inside the round's subtree, or the issuing unit itself when they
    hold it above it."""
    path = award_round.unit.path
    paths = []
    for p in granted_prefixes(user, NOMINATE_PERM):
        if p.startswith(path):
            paths.append(p)
        elif path.startswith(p):
            paths.append(path)
    if not paths:
        return []
    return list(OrgUnit.objects.filter(path__in=paths, status=UnitStatus.ACTIVE).order_by("path"))


def eligible_people(kind: str, nominating_unit: OrgUnit):
    """The people who may be nominated for ``kind`` by ``nominating_unit`` (a queryset)."""
    qs = Person.objects.filter(
        unit__path__startswith=nominating_unit.path,
        roster_status=RosterStatus.ACTIVE,
        political_status=PoliticalStatus.FULL,
    )
    if kind == AwardKind.EXCELLENT_WORKER:
        seated = CommitteeMembership.objects.filter(ended_on__isnull=True).values("person_id")
        roles = RoleAssignment.objects.active().filter(role__in=WORKER_ROLES).values("user_id")
        qs = qs.filter(Q(pk__in=seated) | Q(user_id__in=roles))
    return qs


def eligible_units(nominating_unit: OrgUnit):
    """Units that may be nominated as 先进基层党组织: active branches and general branches in the subtree."""
    return OrgUnit.objects.filter(
        path__startswith=nominating_unit.path, status=UnitStatus.ACTIVE, kind__in=NOMINEE_UNIT_KINDS
    )


def _unit_officers(unit: OrgUnit) -> list[int]:
    """Users holding ``voting.add_nomination`` through a role AT ``unit`` (its officers)."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if NOMINATE_PERM in perms]
    return list(
        RoleAssignment.objects.active().filter(unit=unit, role__in=roles).values_list("user_id", flat=True).distinct()
    )


def nominee_name(nomination: Nomination) -> str:
    return nomination.person.name if nomination.person_id else nomination.nominee_unit.name


# --- rounds -----------------------------------------------------------------------------------


def _clean_kinds(kinds, quotas) -> tuple[list[str], dict[str, int]]:
    kinds = [k for k in AwardKind.values if k in set(kinds or [])]
    if not kinds:
        raise _err("请至少选择一个表彰类别。", "kinds")
    clean: dict[str, int] = {}
    for kind in kinds:
        raw = (quotas or {}).get(kind)
        try:
            n = int(raw)
        except (TypeError, ValueError):
            raise _err(f"请填写“{AwardKind(kind).label}”的名额。", f"quota_{kind}") from None
        if not 1 <= n <= 1000:
            raise _err(f"“{AwardKind(kind).label}”的名额应为 1 至 1000。", f"quota_{kind}")
        clean[kind] = n
    return kinds, clean


@transaction.atomic
def round_create(
    *,
    actor,
    unit: OrgUnit,
    year: int,
    title: str,
    kinds: list[str],
    quotas: dict,
    nomination_deadline: datetime.date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
) -> AwardRound:
    """Issue an award round for ``unit``'s subtree (``voting.add_awardround`` at the unit)."""
    if not can(actor, ISSUE_PERM, unit):
        raise PermissionDenied
    if unit.status != UnitStatus.ACTIVE:
        raise _err("该组织已撤销或合并，不能发起评选。", "unit")
    title = (title or "").strip()
    if not title:
        raise _err("请填写名称。", "title")
    kinds, quotas = _clean_kinds(kinds, quotas)
    if nomination_deadline < _today():
        raise _err("推荐截止日期不能早于今天。", "nomination_deadline")
    if not 1 <= int(notice_days) <= MAX_NOTICE_DAYS:
        raise _err(f"公示期应为 1 至 {MAX_NOTICE_DAYS} 个工作日。", "notice_days")
    award_round = AwardRound.objects.create(
        unit=unit,
        year=year,
        title=title[:120],
        kinds=kinds,
        quotas=quotas,
        nomination_deadline=nomination_deadline,
        notice_days=int(notice_days),
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="voting.awardround.create",
        target=award_round,
        changes={
            "unit": {"new": unit.pk},
            "year": {"new": year},
            "title": {"new": award_round.title},
            "kinds": {"new": kinds},
            "quotas": {"new": quotas},
            "nomination_deadline": {"new": nomination_deadline.isoformat()},
            "notice_days": {"new": award_round.notice_days},
        },
    )
    return award_round


def _lock_round(award_round) -> AwardRound:
    pk = award_round.pk if isinstance(award_round, AwardRound) else award_round
    return AwardRound.objects.select_for_update().select_related("unit").get(pk=pk)


def _require_issuer(actor, award_round: AwardRound) -> None:
    if not is_issuer(actor, award_round):
        raise PermissionDenied


# The moves an officer makes by hand; notice and final have their own services.
ADVANCES = {
    AwardRoundStatus.NOMINATING: {AwardRoundStatus.REVIEWING, AwardRoundStatus.CANCELLED},
    AwardRoundStatus.REVIEWING: {AwardRoundStatus.VOTING, AwardRoundStatus.CANCELLED},
    AwardRoundStatus.VOTING: {AwardRoundStatus.CANCELLED},
    AwardRoundStatus.NOTICE: {AwardRoundStatus.CANCELLED},
}


def round_advance(*, actor, award_round: AwardRound, to: str) -> AwardRound:
    """Move a round on by hand: close nominations (→ reviewing), open the vote (→ voting, once no
    nomination waits for review), or cancel it."""
    with transaction.atomic():
        award_round = _lock_round(award_round)
        _require_issuer(actor, award_round)
        if to not in ADVANCES.get(award_round.status, set()):
            raise _err(
                f"“{award_round.get_status_display()}”的评选不能改为“{AwardRoundStatus(to).label if to in AwardRoundStatus.values else to}”。",
                "to",
                ConflictError,
            )
        if to == AwardRoundStatus.VOTING:
            waiting = Nomination.objects.filter(round=award_round, status=NominationStatus.PENDING).count()
            if waiting:
                raise _err(f"还有 {waiting} 条推荐尚未审核完毕，请先审核或退回。", "to", ConflictError)
        before = snapshot(award_round, ROUND_FIELDS)
        award_round.status = to
        award_round.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.awardround.advance",
            target=award_round,
            changes=field_changes(before, award_round, fields=ROUND_FIELDS),
        )
    return award_round


# --- nominations ------------------------------------------------------------------------------


def _check_nominee(*, kind, nominating_unit, person, nominee_unit) -> None:
    if kind in UNIT_AWARDS:
        if nominee_unit is None or person is not None:
            raise _err("先进基层党组织应推荐一个党组织。", "nominee_unit")
        if not eligible_units(nominating_unit).filter(pk=nominee_unit.pk).exists():
            raise _err("只能推荐本组织范围内正常运行的党支部或党总支。", "nominee_unit")
        return
    if person is None or nominee_unit is not None:
        raise _err("请推荐一名党员。", "person")
    if not eligible_people(kind, nominating_unit).filter(pk=person.pk).exists():
        if kind == AwardKind.EXCELLENT_WORKER:
            message = "优秀党务工作者应为本组织范围内在册的正式党员，并担任支委/委员或党内职务。"
        else:
            message = "优秀共产党员应为本组织范围内在册的正式党员。"
        raise _err(message, "person")


def nomination_create(
    *,
    actor,
    award_round: AwardRound,
    nominating_unit: OrgUnit,
    kind: str,
    deeds: str,
    person: Person | None = None,
    nominee_unit: OrgUnit | None = None,
) -> Nomination:
    """A unit nominates someone (or a unit) for one kind of the round."""
    deeds = (deeds or "").strip()
    try:
        with transaction.atomic():
            award_round = _lock_round(award_round)
            if not can(actor, NOMINATE_PERM, nominating_unit) or not in_subtree(nominating_unit, award_round.unit):
                raise PermissionDenied
            if award_round.status != AwardRoundStatus.NOMINATING:
                raise _err("该评选已不在推荐阶段。", None, ConflictError)
            if _today() > award_round.nomination_deadline:
                raise _err(f"推荐已于 {award_round.nomination_deadline:%Y-%m-%d} 截止。", None, ConflictError)
            if kind not in award_round.kinds:
                raise _err("本次评选不含该表彰类别。", "kind")
            if len(deeds) < MIN_DEEDS:
                raise _err(f"主要事迹不少于 {MIN_DEEDS} 字（现 {len(deeds)} 字）。", "deeds")
            _check_nominee(kind=kind, nominating_unit=nominating_unit, person=person, nominee_unit=nominee_unit)
            nominee = {"person": person} if person is not None else {"nominee_unit": nominee_unit}
            if Nomination.objects.filter(round=award_round, kind=kind, **nominee).exists():
                raise _err(
                    "该人选已被推荐为本类别，不能重复推荐。", "person" if person else "nominee_unit", ConflictError
                )
            starts_approved = nominating_unit.pk == award_round.unit_id
            nomination = Nomination.objects.create(
                round=award_round,
                kind=kind,
                nominating_unit=nominating_unit,
                deeds=deeds,
                status=NominationStatus.APPROVED if starts_approved else NominationStatus.PENDING,
                pending_at=None if starts_approved else OrgUnit.objects.get(pk=nominating_unit.parent_id),
                created_by=actor,
                **nominee,
            )
            audit_record(
                actor=actor,
                action="voting.nomination.create",
                target=nomination,
                changes={
                    "round": {"new": award_round.pk},
                    "kind": {"new": kind},
                    "nominating_unit": {"new": nominating_unit.pk},
                    "person": {"new": person.pk if person else None},
                    "nominee_unit": {"new": nominee_unit.pk if nominee_unit else None},
                    "status": {"new": nomination.status},
                    "pending_at": {"new": nomination.pending_at_id},
                },
            )
    except IntegrityError:
        raise _err("该人选已被推荐为本类别，不能重复推荐。", None, ConflictError) from None
    return nomination


def _lock_nomination(nomination) -> Nomination:
    pk = nomination.pk if isinstance(nomination, Nomination) else nomination
    return (
        Nomination.objects.select_for_update(of=("self",))
        .select_related("round__unit", "nominating_unit", "pending_at", "person", "nominee_unit")
        .get(pk=pk)
    )


def nomination_withdraw(*, actor, nomination: Nomination) -> Nomination:
    """The nominating unit withdraws its nomination, before any review and before the vote."""
    with transaction.atomic():
        nomination = _lock_nomination(nomination)
        if not can(actor, NOMINATE_PERM, nomination.nominating_unit):
            raise PermissionDenied
        if (
            nomination.status not in (NominationStatus.PENDING, NominationStatus.APPROVED)
            or nomination.reviews.exists()
            or nomination.round.status not in (AwardRoundStatus.NOMINATING, AwardRoundStatus.REVIEWING)
        ):
            raise _err("推荐已进入审核或表决，不能撤回。", None, ConflictError)
        before = snapshot(nomination, NOMINATION_FIELDS)
        nomination.status = NominationStatus.WITHDRAWN
        nomination.pending_at = None
        nomination.save(update_fields=["status", "pending_at"])
        audit_record(
            actor=actor,
            action="voting.nomination.withdraw",
            target=nomination,
            changes=field_changes(before, nomination, fields=NOMINATION_FIELDS),
        )
    return nomination


def nomination_review(*, actor, nomination: Nomination, decision: str, comment: str = "") -> NominationReview:
    """The level where the nomination waits agrees (forwarded one level up, or approved for the vote
    at the issuing unit) or rejects it with a reason. ``decision``: ``approve`` / ``forward`` (the
    same: what agreeing means depends on the level) or ``reject``."""
    comment = (comment or "").strip()
    with transaction.atomic():
        nomination = _lock_nomination(nomination)
        award_round = nomination.round
        if nomination.status != NominationStatus.PENDING or nomination.pending_at_id is None:
            raise _err("该推荐不在待审核状态。", None, ConflictError)
        if not can(actor, REVIEW_PERM, nomination.pending_at):
            raise PermissionDenied
        if award_round.status not in (AwardRoundStatus.NOMINATING, AwardRoundStatus.REVIEWING):
            raise _err("该评选已结束审核阶段。", None, ConflictError)
        if decision not in (ReviewDecision.FORWARD, ReviewDecision.APPROVE, ReviewDecision.REJECT):
            raise _err("请选择审核意见。", "decision")
        if len(comment) > COMMENT_MAX:
            raise _err(f"审核意见不超过 {COMMENT_MAX} 字。", "comment")
        level = nomination.pending_at
        before = snapshot(nomination, NOMINATION_FIELDS)
        if decision == ReviewDecision.REJECT:
            if not comment:
                raise _err("不同意时请填写理由。", "comment")
            nomination.status = NominationStatus.REJECTED
            nomination.pending_at = None
            title = f"推荐未通过审核：{nominee_name(nomination)}"
        elif level.pk == award_round.unit_id:
            decision = ReviewDecision.APPROVE
            nomination.status = NominationStatus.APPROVED
            nomination.pending_at = None
            title = f"推荐审核通过，提交表决：{nominee_name(nomination)}"
        else:
            decision = ReviewDecision.FORWARD
            nomination.pending_at = OrgUnit.objects.get(pk=level.parent_id)
            title = f"推荐已由{level.name}审核同意并上报：{nominee_name(nomination)}"
        nomination.save(update_fields=["status", "pending_at"])
        review = NominationReview.objects.create(
            nomination=nomination, unit=level, decision=decision, comment=comment, actor=actor
        )
        changes = field_changes(before, nomination, fields=NOMINATION_FIELDS)
        changes["decision"] = {"new": decision}
        changes["level"] = {"new": level.pk}
        audit_record(actor=actor, action="voting.nomination.review", target=nomination, changes=changes)
        notify(
            recipients=_unit_officers(nomination.nominating_unit),
            category=Category.DEMOCRACY,
            title=title,
            body=f"{award_round.title} · {nomination.get_kind_display()}" + (f"\n意见：{comment}" if comment else ""),
            url=reverse("voting:nomination", args=[nomination.pk]),
            actor=actor,
        )
    return review


# --- the vote ---------------------------------------------------------------------------------


def vote_passes(*, votes_for: int, present: int, entitled: int) -> bool:
    """More than half of the entitled committee members voted for, and more than half were present."""
    return votes_for * 2 > entitled and present * 2 > entitled


def vote_record(
    *,
    actor,
    nomination: Nomination,
    votes_for: int,
    votes_against: int,
    abstentions: int,
    present: int,
    entitled: int,
) -> Nomination:
    """Record the issuing committee's vote on one approved nomination (may be corrected while the
    round is voting). Elected ones never exceed the kind's quota."""
    numbers = {
        "votes_for": votes_for,
        "votes_against": votes_against,
        "abstentions": abstentions,
        "present": present,
        "entitled": entitled,
    }
    for field, value in numbers.items():
        if value is None or int(value) < 0:
            raise _err("票数应为非负整数。", field)
    if entitled < 1:
        raise _err("应到人数至少为 1。", "entitled")
    if present > entitled:
        raise _err("实到人数不能多于应到人数。", "present")
    if votes_for + votes_against + abstentions > present:
        raise _err("赞成、反对、弃权之和不能多于实到人数。", "votes_for")
    with transaction.atomic():
        nomination = _lock_nomination(nomination)
        award_round = _lock_round(nomination.round_id)
        _require_issuer(actor, award_round)
        if award_round.status != AwardRoundStatus.VOTING:
            raise _err("该评选不在表决阶段。", None, ConflictError)
        if nomination.status not in (
            NominationStatus.APPROVED,
            NominationStatus.ELECTED,
            NominationStatus.NOT_ELECTED,
        ):
            raise _err("只能对审核通过的推荐进行表决。", None, ConflictError)
        elected = vote_passes(votes_for=votes_for, present=present, entitled=entitled)
        if elected:
            quota = int(award_round.quotas.get(nomination.kind) or 0)
            taken = (
                Nomination.objects.filter(round=award_round, kind=nomination.kind, status=NominationStatus.ELECTED)
                .exclude(pk=nomination.pk)
                .count()
            )
            if taken >= quota:
                raise _err(
                    f"“{nomination.get_kind_display()}”名额为 {quota} 名，已有 {taken} 名表决通过，不能再通过。",
                    None,
                    ConflictError,
                )
        before = snapshot(nomination, NOMINATION_FIELDS)
        nomination.votes_for = votes_for
        nomination.votes_against = votes_against
        nomination.abstentions = abstentions
        nomination.voters_present = present
        nomination.voters_entitled = entitled
        nomination.status = NominationStatus.ELECTED if elected else NominationStatus.NOT_ELECTED
        nomination.save(update_fields=[f for f in NOMINATION_FIELDS if f != "pending_at"])
        audit_record(
            actor=actor,
            action="voting.nomination.vote",
            target=nomination,
            changes=field_changes(before, nomination, fields=NOMINATION_FIELDS),
        )
    return nomination


# --- the notice (公示) and objections ----------------------------------------------------------


def notice_start(*, actor, award_round: AwardRound, starts_on: datetime.date | None = None) -> AwardRound:
    """Publish the elected nominees for ``notice_days`` working days from ``starts_on`` (default today)."""
    starts_on = starts_on or _today()
    with transaction.atomic():
        award_round = _lock_round(award_round)
        _require_issuer(actor, award_round)
        if award_round.status != AwardRoundStatus.VOTING:
            raise _err("只有表决阶段的评选可以开始公示。", None, ConflictError)
        if starts_on < _today():
            raise _err("公示开始日期不能早于今天。", "starts_on")
        counts = dict.fromkeys((NominationStatus.APPROVED, NominationStatus.ELECTED), 0)
        for status in Nomination.objects.filter(round=award_round, status__in=list(counts)).values_list(
            "status", flat=True
        ):
            counts[status] += 1
        if counts[NominationStatus.APPROVED]:
            raise _err(f"还有 {counts[NominationStatus.APPROVED]} 条推荐尚未表决。", None, ConflictError)
        if not counts[NominationStatus.ELECTED]:
            raise _err("没有表决通过的人选，无需公示。", None, ConflictError)
        before = snapshot(award_round, ROUND_FIELDS)
        award_round.notice_starts_on = starts_on
        award_round.notice_ends_on = workdays_end(starts_on, award_round.notice_days)
        award_round.status = AwardRoundStatus.NOTICE
        award_round.save(update_fields=list(ROUND_FIELDS))
        audit_record(
            actor=actor,
            action="voting.awardround.notice",
            target=award_round,
            changes=field_changes(before, award_round, fields=ROUND_FIELDS),
        )
    return award_round


def notice_open(award_round: AwardRound, today: datetime.date | None = None) -> bool:
    today = today or _today()
    return (
        award_round.status == AwardRoundStatus.NOTICE
        and award_round.notice_starts_on is not None
        and award_round.notice_starts_on <= today <= award_round.notice_ends_on
    )


def objection_raise(*, actor, nomination: Nomination, text: str) -> Objection:
    """Anyone in the issuing unit's subtree objects to an elected nominee during the notice."""
    text = (text or "").strip()
    with transaction.atomic():
        nomination = _lock_nomination(nomination)
        award_round = nomination.round
        if not in_audience(actor, award_round) or nomination.status not in (
            NominationStatus.ELECTED,
            NominationStatus.REVOKED,
        ):
            raise Http404
        if not notice_open(award_round):
            raise _err("不在公示期内，不能反映情况。", None, ConflictError)
        if nomination.status != NominationStatus.ELECTED:
            raise _err("该人选已撤销。", None, ConflictError)
        if len(text) < MIN_OBJECTION:
            raise _err(f"反映内容不少于 {MIN_OBJECTION} 字。", "text")
        objection = Objection.objects.create(nomination=nomination, text=text[:4000], raised_by=actor)
        audit_record(
            actor=actor,
            action="voting.objection.create",
            target=objection,
            changes={"nomination": {"new": nomination.pk}},
        )
        notify(
            recipients=[award_round.created_by_id],
            category=Category.DEMOCRACY,
            title=f"公示期收到反映：{nominee_name(nomination)}",
            body=award_round.title,
            url=reverse("voting:award_notice", args=[award_round.pk]),
            actor=None,  # whoever objects is not named in the notification
        )
    return objection


def objection_handle(*, actor, objection: Objection, finding: str, upheld: bool) -> Objection:
    """The issuing committee records its finding; an upheld objection revokes the nomination."""
    finding = (finding or "").strip()
    with transaction.atomic():
        objection = Objection.objects.select_for_update().select_related("nomination__round__unit").get(pk=objection.pk)
        nomination = _lock_nomination(objection.nomination_id)
        award_round = nomination.round
        _require_issuer(actor, award_round)
        if objection.handled_at is not None:
            raise _err("该反映已办结。", None, ConflictError)
        if award_round.status != AwardRoundStatus.NOTICE:
            raise _err("该评选不在公示阶段。", None, ConflictError)
        if not finding:
            raise _err("请填写核查结论。", "finding")
        if upheld is None:
            raise _err("请选择反映是否属实。", "upheld")
        objection.finding = finding[:4000]
        objection.upheld = bool(upheld)
        objection.handled_by = actor
        objection.handled_at = timezone.now()
        objection.save(update_fields=["finding", "upheld", "handled_by", "handled_at"])
        audit_record(
            actor=actor,
            action="voting.objection.handle",
            target=objection,
            changes={"upheld": {"new": objection.upheld}},
        )
        if objection.upheld and nomination.status == NominationStatus.ELECTED:
            before = snapshot(nomination, NOMINATION_FIELDS)
            nomination.status = NominationStatus.REVOKED
            nomination.save(update_fields=["status"])
            audit_record(
                actor=actor,
                action="voting.nomination.revoke",
                target=nomination,
                changes=field_changes(before, nomination, fields=NOMINATION_FIELDS),
            )
            notify(
                recipients=_unit_officers(nomination.nominating_unit),
                category=Category.DEMOCRACY,
                title=f"公示期反映属实，已撤销：{nominee_name(nomination)}",
                body=award_round.title,
                url=reverse("voting:nomination", args=[nomination.pk]),
                actor=actor,
            )
    return objection


# --- the final list ---------------------------------------------------------------------------


def round_finalize(*, actor, award_round: AwardRound) -> AwardRound:
    """After the notice period (the day after its last day at the earliest) with no objection
    left unhandled: elected → awarded, round final, the awarded notified."""
    with transaction.atomic():
        award_round = _lock_round(award_round)
        _require_issuer(actor, award_round)
        if award_round.status != AwardRoundStatus.NOTICE:
            raise _err("只有公示中的评选可以公布结果。", None, ConflictError)
        if _today() <= award_round.notice_ends_on:
            raise _err(f"公示期至 {award_round.notice_ends_on:%Y-%m-%d} 结束，期满后才能公布。", None, ConflictError)
        open_objections = Objection.objects.filter(nomination__round=award_round, handled_at__isnull=True).count()
        if open_objections:
            raise _err(f"还有 {open_objections} 条反映尚未办结。", None, ConflictError)
        elected = list(
            Nomination.objects.filter(round=award_round, status=NominationStatus.ELECTED).select_related(
                "person", "nominee_unit"
            )
        )
        Nomination.objects.filter(pk__in=[n.pk for n in elected]).update(status=NominationStatus.AWARDED)
        before = snapshot(award_round, ROUND_FIELDS)
        award_round.status = AwardRoundStatus.FINAL
        award_round.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="voting.awardround.finalize",
            target=award_round,
            changes={
                **field_changes(before, award_round, fields=ROUND_FIELDS),
                "awarded": {"new": [n.pk for n in elected]},
            },
        )
        url = reverse("voting:award_list", args=[award_round.pk])
        person_users = [n.person.user_id for n in elected if n.person_id and n.person.user_id]
        if person_users:
            notify(
                recipients=person_users,
                category=Category.DEMOCRACY,
                title=f"祝贺！你已被授予{award_round.title}表彰",
                body=award_round.title,
                url=url,
                actor=actor,
            )
        for n in elected:
            if n.nominee_unit_id:
                notify(
                    recipients=_unit_officers(n.nominee_unit),
                    category=Category.DEMOCRACY,
                    title=f"祝贺！{n.nominee_unit.name}被授予先进基层党组织",
                    body=award_round.title,
                    url=url,
                    actor=actor,
                )
    return award_round
