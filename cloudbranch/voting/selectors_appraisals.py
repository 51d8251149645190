"""民主评议党员: reads. Officers' lists start from ``Appraisal.objects.restrict``; members read
only their own entries. Rating figures are TOTALS per grade: nothing here returns a rater."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit

from .appraisals import APPRAISAL_UNIT_KINDS, RUN_PERM, STAGE_ORDER, VIEW_PERM, excellent_cap
from .choices import AppraisalStatus, Grade
from .models import Appraisal, AppraisalEntry, AppraisalRating

GRADES = list(Grade.choices)


def officer_appraisals(user, *, year: int | None = None):
    """The appraisals of the units the user runs or oversees, with progress figures (one query)."""
    qs = (
        Appraisal.objects.restrict(user, VIEW_PERM)
        .select_related("unit")
        .annotate(
            participant_count=Count("entries", distinct=True),
            graded_count=Count("entries", filter=Q(entries__graded=True), distinct=True),
            submitted_count=Count("entries", filter=Q(entries__self_submitted_at__isnull=False), distinct=True),
            rater_count=Count("entries__ratings__rater", distinct=True),
        )
        .order_by("-year", "unit__path")
    )
    if year:
        qs = qs.filter(year=year)
    return qs


def appraisal_units(user):
    """Active branches where the user may open an appraisal."""
    return (
        OrgUnit.objects.restrict(user, RUN_PERM)
        .filter(status=UnitStatus.ACTIVE, kind__in=APPRAISAL_UNIT_KINDS)
        .order_by("path")
    )


def my_entries(user):
    """The user's own entries (the appraisals they take part in), newest year first."""
    if user is None or not user.is_authenticated:
        return AppraisalEntry.objects.none()
    return (
        AppraisalEntry.objects.filter(person__user_id=user.pk)
        .select_related("appraisal__unit")
        .order_by("-appraisal__year", "-appraisal_id")
    )


def my_results(user):
    """The user's results per year: their entries in closed appraisals (kept there for good)."""
    return my_entries(user).filter(appraisal__status=AppraisalStatus.CLOSED)


def appraisal_history(person):
    """A person's appraisal results per year (closed appraisals only)."""
    return (
        AppraisalEntry.objects.filter(person=person, appraisal__status=AppraisalStatus.CLOSED)
        .select_related("appraisal__unit")
        .order_by("-appraisal__year")
    )


@dataclass
class Participation:
    participants: int
    graded: int
    submitted: int
    raters: int
    cap: int

    @property
    def submitted_rate(self) -> int:
        return round(100 * self.submitted / self.participants) if self.participants else 0

    @property
    def rate(self) -> int:
        """Rating participation: participants who rated at least once, in percent."""
        return round(100 * self.raters / self.participants) if self.participants else 0


def participation(appraisal: Appraisal) -> Participation:
    """Headcounts of the appraisal (one query)."""
    row = AppraisalEntry.objects.filter(appraisal=appraisal).aggregate(
        participants=Count("id", distinct=True),
        graded=Count("id", filter=Q(graded=True), distinct=True),
        submitted=Count("id", filter=Q(self_submitted_at__isnull=False), distinct=True),
        raters=Count("ratings__rater", distinct=True),
    )
    # ``raters`` above counts distinct rated-by people over the appraisal's entries.
    return Participation(
        participants=row["participants"],
        graded=row["graded"],
        submitted=row["submitted"],
        raters=row["raters"],
        cap=excellent_cap(
            graded=row["graded"],
            numerator=appraisal.excellent_cap_numerator,
            denominator=appraisal.excellent_cap_denominator,
        ),
    )


def appraisal_entries(appraisal: Appraisal, *, graded_only: bool = False):
    qs = AppraisalEntry.objects.filter(appraisal=appraisal).select_related("person__unit").order_by("id")
    if graded_only:
        qs = qs.filter(graded=True)
    return qs


def attach_totals(entries) -> list[AppraisalEntry]:
    """Set ``totals`` ({grade: n}), ``total_list`` ([(grade, label, n)]) and ``rating_count`` on each
    entry from one grouped query; no rater is read."""
    entries = list(entries)
    counts: dict[int, dict[str, int]] = {e.pk: {} for e in entries}
    rows = (
        AppraisalRating.objects.filter(entry_id__in=list(counts))
        .values("entry_id", "grade")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["entry_id"]][row["grade"]] = row["n"]
    for e in entries:
        e.totals = {g: counts[e.pk].get(g, 0) for g, _ in GRADES}
        e.total_list = [(g, label, e.totals[g]) for g, label in GRADES]
        e.rating_count = sum(e.totals.values())
    return entries


def rating_sheet(entry: AppraisalEntry):
    """What a participant rates: the other graded members with the grade they gave each (one
    query for the members, one for their own ratings)."""
    others = list(
        AppraisalEntry.objects.filter(appraisal_id=entry.appraisal_id, graded=True)
        .exclude(pk=entry.pk)
        .select_related("person")
        .order_by("id")
    )
    return others


def my_ratings(entry: AppraisalEntry) -> dict[int, str]:
    """{entry id: grade} of the ratings ``entry``'s person gave in its appraisal."""
    return dict(
        AppraisalRating.objects.filter(entry__appraisal_id=entry.appraisal_id, rater_id=entry.person_id).values_list(
            "entry_id", "grade"
        )
    )


def stage_steps(appraisal: Appraisal) -> list[dict]:
    """The stepper: each stage with done / current flags."""
    current = STAGE_ORDER.index(appraisal.status)
    return [
        {"value": value, "label": label, "done": i < current, "current": i == current}
        for i, (value, label) in enumerate(AppraisalStatus.choices)
    ]
