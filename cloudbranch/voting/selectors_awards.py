"""Reads of the awards area (评先评优). Every list starts from the viewer's scope.

* A round is seen by the officers of the issuing unit's subtree (``voting.view_awardround`` over
  the round's unit) AND by the officers of every unit below it — a branch secretary must see the
  university's round to nominate in it: the round's unit is an ancestor of (or is) a unit where
  the viewer holds ``voting.view_awardround``.
* A nomination is seen through ``Nomination.objects.restrict(user, "voting.view_awardround")`` on
  the nominating unit's path: its own unit's officers and everyone above (the reviewers and the
  issuing committee). A sibling branch gets a 404.
* The notice (公示) and the final list are open to the whole subtree of the issuing unit
  (:func:`awards.in_audience`), members included, without a grant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.http import Http404

from cloudbranch.orgs.scoping import access_by_id, granted_prefixes, scope_q
from cloudbranch.people.models import CommitteeMembership
from cloudbranch.people.selectors import own_person

from .awards import REVIEW_PERM, VIEW_PERM, in_audience
from .choices import AwardKind, AwardRoundStatus, NominationStatus
from .models import AwardRound, Nomination, Objection

PUBLIC_STATUSES = (AwardRoundStatus.NOTICE, AwardRoundStatus.FINAL)
NOMINATION_RELATED = ("round__unit", "nominating_unit", "pending_at", "person__unit", "nominee_unit")


def _ancestor_ids(paths) -> set[int]:
    return {int(part) for p in paths for part in p.strip("/").split("/") if part}


def rounds_q(user) -> Q | None:
    """The rounds an officer sees (see the module doc), or None."""
    prefixes = granted_prefixes(user, VIEW_PERM)
    if not prefixes:
        return None
    return scope_q("unit__path", prefixes) | Q(unit_id__in=sorted(_ancestor_ids(prefixes)))


def round_list(*, user, status: str | None = None):
    """Rounds of my units and rounds my units may nominate in, newest first (officers)."""
    q = rounds_q(user)
    if q is None:
        return AwardRound.objects.none()
    qs = AwardRound.objects.filter(q).select_related("unit").order_by("-year", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def open_notices(*, user):
    """Rounds in notice or final issued by a unit on the path from the root to my own unit (members)."""
    person = own_person(user)
    if person is None:
        return AwardRound.objects.none()
    ids = _ancestor_ids([person.unit.path])
    return (
        AwardRound.objects.filter(unit_id__in=sorted(ids), status__in=PUBLIC_STATUSES)
        .select_related("unit")
        .order_by("-year", "-id")
    )


def access_round(user, pk) -> AwardRound:
    """A round the officer sees, or 404."""
    q = rounds_q(user)
    if q is None:
        raise Http404
    try:
        return AwardRound.objects.select_related("unit").filter(q).get(pk=pk)
    except (AwardRound.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def access_public_round(user, pk) -> AwardRound:
    """A round in notice or final whose subtree the viewer belongs to, or 404."""
    try:
        award_round = AwardRound.objects.select_related("unit").get(pk=pk, status__in=PUBLIC_STATUSES)
    except (AwardRound.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not in_audience(user, award_round):
        raise Http404
    return award_round


def nomination_list(*, user, award_round: AwardRound, kind: str | None = None, status: str | None = None):
    qs = (
        Nomination.objects.restrict(user, VIEW_PERM)
        .filter(round=award_round)
        .select_related(*NOMINATION_RELATED)
        .order_by("kind", "nominating_unit__path", "id")
    )
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs


def access_nomination(user, pk, *, action: str = "view") -> Nomination:
    return access_by_id(
        user,
        Nomination,
        pk,
        action=action,
        view=VIEW_PERM,
        queryset=Nomination.objects.select_related(*NOMINATION_RELATED),
    )


def nomination_reviews(nomination: Nomination):
    return nomination.reviews.select_related("unit", "actor").order_by("at", "id")


def awaiting_my_review(*, user, award_round: AwardRound):
    """Nominations of the round waiting at a level the user reviews."""
    prefixes = granted_prefixes(user, REVIEW_PERM)
    if not prefixes:
        return Nomination.objects.none()
    return nomination_list(user=user, award_round=award_round, status=NominationStatus.PENDING).filter(
        scope_q("pending_at__path", prefixes)
    )


@dataclass
class KindCounts:
    kind: str
    label: str
    quota: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        """Rejected in review, not elected in the vote, or revoked after the notice."""
        bad = (NominationStatus.REJECTED, NominationStatus.NOT_ELECTED, NominationStatus.REVOKED)
        return sum(self.counts.get(s, 0) for s in bad)


def round_counts(*, user, award_round: AwardRound) -> list[KindCounts]:
    """Per kind of the round: quota and the number of (visible) nominations per status. One query."""
    rows = {
        k: KindCounts(kind=k, label=AwardKind(k).label, quota=int(award_round.quotas.get(k) or 0))
        for k in award_round.kinds
        if k in AwardKind.values
    }
    for kind, status, n in (
        Nomination.objects.restrict(user, VIEW_PERM)
        .filter(round=award_round)
        .values_list("kind", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if kind in rows:
            rows[kind].counts[status] = n
    return list(rows.values())


def vote_items(award_round: AwardRound):
    """The nominations the issuing committee votes on."""
    return (
        Nomination.objects.filter(
            round=award_round,
            status__in=[NominationStatus.APPROVED, NominationStatus.ELECTED, NominationStatus.NOT_ELECTED],
        )
        .select_related(*NOMINATION_RELATED)
        .order_by("kind", "nominating_unit__path", "id")
    )


def committee_size(unit) -> int:
    """Sitting committee members of a unit: the default number entitled to vote (应到)."""
    return CommitteeMembership.objects.filter(unit=unit, ended_on__isnull=True).count()


def notice_items(award_round: AwardRound):
    """What the public notice lists: elected nominees (and, once final, the awarded); revoked
    ones stay listed, marked, while the notice runs."""
    statuses = [NominationStatus.ELECTED, NominationStatus.REVOKED, NominationStatus.AWARDED]
    return (
        Nomination.objects.filter(round=award_round, status__in=statuses)
        .select_related("nominating_unit", "person__unit", "nominee_unit")
        .order_by("kind", "nominating_unit__path", "id")
    )


def final_list(award_round: AwardRound):
    return (
        Nomination.objects.filter(round=award_round, status=NominationStatus.AWARDED)
        .select_related("nominating_unit", "person__unit", "nominee_unit")
        .order_by("kind", "nominating_unit__path", "id")
    )


def round_objections(award_round: AwardRound):
    """Every objection of the round (the issuing committee), unhandled first."""
    return (
        Objection.objects.filter(nomination__round=award_round)
        .select_related("nomination__person", "nomination__nominee_unit", "raised_by", "handled_by")
        .order_by("handled_at", "raised_at", "id")
    )


def my_objections(*, user, award_round: AwardRound):
    return (
        Objection.objects.filter(nomination__round=award_round, raised_by=user)
        .select_related("nomination__person", "nomination__nominee_unit")
        .order_by("-raised_at", "-id")
    )


def access_objection(user, pk) -> Objection:
    """An objection of a round the user sees as an officer, or 404."""
    q = rounds_q(user)
    if q is None:
        raise Http404
    ids = AwardRound.objects.filter(q).values("pk")
    try:
        return Objection.objects.select_related("nomination__round__unit").get(pk=pk, nomination__round_id__in=ids)
    except (Objection.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
