"""Study tracking (issue 5 item 2): time actually spent, media watched, completion, the study
record and the yearly certificate of hours.

The reading page sends a heartbeat every 15 s while it is visible (``static/learning/study.js``).
Each beat credits the seconds since the previous beat, at most ``MAX_BEAT_SECONDS`` (20 s); when
the previous beat is older than ``SILENCE_SECONDS`` (60 s) the beat only restarts the clock — a tab
left open in the background does not study. A resource gives at most ``TOTAL_CAP_FACTOR`` (3) ×
its expected time (media duration, or the reading time it asks for).

Media: the furthest position reached (``max_position``) may only advance as fast as the media
could play in the time credited (twice real time, for 2× playback), so jumping to the end is not
watching it; ``percent`` = ``max_position`` / duration.

Completion (once): ``seconds ≥ min_seconds`` (articles, PDFs, links) or ``percent ≥ min_percent``
(video, audio). It awards points through ``points.services.point_award`` (idempotent per
resource: ``read_article`` / ``watch_video``) and tells the study tasks
(``learning.tasks.progress_changed``) — both in the same transaction. Heartbeats themselves are
not audited (one row every 15 s per reader); completion is.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from cloudbranch.audit.services import audit_record

from . import hooks
from .choices import Column, ResourceKind
from .models import Resource, StudyDay, StudyProgress

MAX_BEAT_SECONDS = 20
SILENCE_SECONDS = 60
TOTAL_CAP_FACTOR = 3
MAX_PLAYBACK_RATE = 2
MEDIA_KINDS = (ResourceKind.VIDEO, ResourceKind.AUDIO)


def expected_seconds(resource: Resource, duration: int | None = None) -> int:
    """How long the resource is meant to take: the media's duration, else the reading time asked."""
    if resource.kind in MEDIA_KINDS:
        media = resource.duration_seconds or (duration or 0)
        if media:
            return int(media)
    return max(int(resource.min_seconds), 1)


def _media_duration(resource: Resource, duration) -> int:
    if resource.duration_seconds:
        return int(resource.duration_seconds)
    try:
        value = int(float(duration or 0))
    except (TypeError, ValueError, OverflowError):
        return 0
    return value if 0 < value <= 24 * 3600 else 0


def _as_seconds(value) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number or number < 0:  # NaN or negative
        return None
    return int(min(number, 24 * 3600))


def _progress_row(person, resource) -> StudyProgress:
    row = StudyProgress.objects.select_for_update().filter(person=person, resource=resource).first()
    if row is None:
        try:
            with transaction.atomic():
                StudyProgress.objects.create(person=person, resource=resource)
        except IntegrityError:
            pass  # created by a concurrent beat
        row = StudyProgress.objects.select_for_update().get(person=person, resource=resource)
    return row


def heartbeat(*, person, resource: Resource, position=None, duration=None, now=None) -> StudyProgress:
    """Record one heartbeat of ``person`` studying ``resource`` (see the module docstring)."""
    now = now or timezone.now()
    with transaction.atomic():
        progress = _progress_row(person, resource)
        credit = 0
        if progress.last_beat_at is not None:
            elapsed = (now - progress.last_beat_at).total_seconds()
            if 0 < elapsed <= SILENCE_SECONDS:
                credit = min(int(elapsed), MAX_BEAT_SECONDS)
        cap = TOTAL_CAP_FACTOR * expected_seconds(resource, _media_duration(resource, duration))
        credit = max(0, min(credit, cap - progress.seconds))
        progress.seconds += credit
        progress.last_beat_at = max(now, progress.last_beat_at) if progress.last_beat_at else now
        fields = ["seconds", "last_beat_at"]

        pos = _as_seconds(position)
        if resource.kind in MEDIA_KINDS and pos is not None:
            media = _media_duration(resource, duration)
            if media:
                pos = min(pos, media)
            reachable = progress.max_position + MAX_PLAYBACK_RATE * credit + 1
            progress.max_position = max(progress.max_position, min(pos, reachable))
            progress.position = pos
            if media:
                progress.percent = min(100, progress.max_position * 100 // media)
            fields += ["max_position", "position", "percent"]

        newly_completed = False
        if progress.completed_at is None and _complete(resource, progress):
            progress.completed_at = now
            fields.append("completed_at")
            newly_completed = True
        progress.save(update_fields=fields)

        if credit:
            _add_day(person, timezone.localdate(now), credit)
        if newly_completed:
            _on_completed(person, resource, progress)
    return progress


def _complete(resource: Resource, progress: StudyProgress) -> bool:
    if resource.kind in MEDIA_KINDS:
        return progress.percent >= resource.min_percent
    return progress.seconds >= resource.min_seconds


def _add_day(person, day: datetime.date, seconds: int) -> None:
    updated = StudyDay.objects.filter(person=person, day=day).update(seconds=F("seconds") + seconds)
    if not updated:
        try:
            with transaction.atomic():
                StudyDay.objects.create(person=person, day=day, seconds=seconds)
        except IntegrityError:
            StudyDay.objects.filter(person=person, day=day).update(seconds=F("seconds") + seconds)


def _on_completed(person, resource: Resource, progress: StudyProgress) -> None:
    audit_record(
        actor=person.user,
        action="learning.progress.complete",
        target=progress,
        changes={"resource": {"new": resource.pk}, "seconds": {"new": progress.seconds}},
    )
    action = "watch_video" if resource.kind in MEDIA_KINDS else "read_article"
    try:
        from cloudbranch.points import services as points_services
    except ImportError:  # the points helper has not landed yet
        points_services = None
    award = getattr(points_services, "point_award", None)
    if award is not None:
        award(
            person=person,
            action=action,
            source_type="resource",
            source_id=str(resource.pk),
            occurred_at=progress.completed_at,
        )
    try:
        from . import tasks as learning_tasks
    except ImportError:
        learning_tasks = None
    changed = getattr(learning_tasks, "progress_changed", None)
    if changed is not None:
        changed(person.pk)
    for handler in hooks.completion_handlers:
        handler(person=person, resource=resource, progress=progress, now=progress.completed_at)


# --- the study record -------------------------------------------------------------------------


def hours(seconds: int) -> Decimal:
    """Seconds → hours rounded to 0.1 h (half up)."""
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class YearRecord:
    year: int
    seconds: int = 0
    months: dict[int, int] = field(default_factory=dict)

    @property
    def hours(self) -> Decimal:
        return hours(self.seconds)

    def month_rows(self) -> list[tuple[int, int, Decimal]]:
        return [(m, self.months.get(m, 0), hours(self.months.get(m, 0))) for m in range(1, 13)]


def study_record(person) -> list[YearRecord]:
    """Seconds studied per year and month, newest year first (one query)."""
    rows = (
        StudyDay.objects.filter(person=person)
        .annotate(y=ExtractYear("day"), m=ExtractMonth("day"))
        .values("y", "m")
        .annotate(total=Sum("seconds"))
        .order_by("-y", "m")
    )
    years: dict[int, YearRecord] = {}
    for row in rows:
        rec = years.setdefault(row["y"], YearRecord(row["y"]))
        rec.months[row["m"]] = row["total"] or 0
        rec.seconds += row["total"] or 0
    return sorted(years.values(), key=lambda r: -r.year)


def completed_resources(person):
    return (
        StudyProgress.objects.filter(person=person, completed_at__isnull=False)
        .select_related("resource")
        .order_by("-completed_at", "-id")
    )


def my_progress(person):
    return StudyProgress.objects.filter(person=person).select_related("resource").order_by("-last_beat_at", "-id")


@dataclass
class Certificate:
    person: object
    year: int
    seconds: int
    hours: Decimal
    columns: list[tuple[str, Decimal]]
    completed: int
    code: str


def verification_code(person_id: int, year: int, hours_value: Decimal) -> str:
    """HMAC-SHA256 of (person id, year, hours) with SECRET_KEY: 16 hex digits in groups of four."""
    message = f"{person_id}:{year}:{hours_value}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def certificate(person, year: int) -> Certificate:
    """The certificate of study hours of one year: total (StudyDay) and per column (seconds of the
    progress rows last studied that year — a resource counts in the year it was studied)."""
    start = datetime.date(year, 1, 1)
    end = datetime.date(year + 1, 1, 1)
    total = StudyDay.objects.filter(person=person, day__gte=start, day__lt=end).aggregate(s=Sum("seconds"))["s"] or 0
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end, datetime.time.min, tzinfo=tz)
    per_column: dict[str, int] = defaultdict(int)
    completed = 0
    rows = StudyProgress.objects.filter(person=person, last_beat_at__gte=lo, last_beat_at__lt=hi).values_list(
        "resource__column", "seconds", "completed_at"
    )
    for column, seconds, completed_at in rows:
        per_column[column] += seconds
        completed += completed_at is not None
    labels = dict(Column.choices)
    columns = [(labels[c], hours(per_column[c])) for c in Column.values if per_column.get(c)]
    value = hours(total)
    return Certificate(
        person=person,
        year=year,
        seconds=total,
        hours=value,
        columns=columns,
        completed=completed,
        code=verification_code(person.pk, year, value),
    )


def certificate_printed(*, actor, person, year: int) -> Certificate:
    """Record that a certificate was printed (audited) and return it."""
    cert = certificate(person, year)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="learning.certificate.print",
            target=person,
            changes={"year": {"new": year}, "hours": {"new": str(cert.hours)}, "code": {"new": cert.code}},
        )
    return cert
