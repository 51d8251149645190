"""A member's volunteer profile (志愿者档案): declared skills and free time.

Members fill in their own profile only (no grant needed: it is their own Person). Matching
(:mod:`.matching`) reads it together with the member's past service. Every change is audited.
"""

from __future__ import annotations

from django.db import transaction

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import DomainError
from cloudbranch.people.models import Person

from .choices import Skill, TimeSlot
from .models import VolunteerProfile

NOTE_MAX = 200
WEEKDAYS = (
    ("mon", "周一"),
    ("tue", "周二"),
    ("wed", "周三"),
    ("thu", "周四"),
    ("fri", "周五"),
    ("sat", "周六"),
    ("sun", "周日"),
)
PARTS = (("am", "上午"), ("pm", "下午"), ("ev", "晚上"))


def slot_grid() -> list[tuple[str, list[tuple[str, str]]]]:
    """Rows for the weekday × 上午/下午/晚上 grid: [(周一, [(mon_am, 上午), ...]), ...]."""
    return [(label, [(f"{day}_{part}", part_label) for part, part_label in PARTS]) for day, label in WEEKDAYS]


def own_person_or_error(user) -> Person:
    """The actor's own person record; a DomainError when the account is linked to none."""
    person = (
        Person.objects.select_related("unit").filter(user_id=getattr(user, "pk", None)).first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if person is None:
        raise DomainError("你的账号没有关联人员档案，无法填写志愿者档案，请联系所在党支部。")
    return person


def profile_of(person: Person | None) -> VolunteerProfile | None:
    if person is None:
        return None
    return VolunteerProfile.objects.filter(person=person).first()


def _clean_choices(values, choices, *, field: str, label: str) -> list[str]:
    values = list(values or [])
    unknown = [str(v) for v in values if v not in choices.values]
    if unknown:
        raise DomainError(
            f"{label}中有无效的选项。", errors=[{"field": field, "message": f"无效的选项：{'、'.join(unknown[:5])}"}]
        )
    chosen = set(values)
    return [v for v in choices.values if v in chosen]  # canonical order, no duplicates


def profile_update(*, actor, skills=(), free_slots=(), note: str = "") -> VolunteerProfile:
    """Set the actor's own skills (``Skill`` values), free time (``TimeSlot`` values) and note.
    Unknown values are a DomainError (nothing written); the change is audited."""
    person = own_person_or_error(actor)
    skills = _clean_choices(skills, Skill, field="skills", label="特长")
    free_slots = _clean_choices(free_slots, TimeSlot, field="free_slots", label="空闲时间")
    note = (note or "").replace("\x00", "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(
            f"补充说明最多 {NOTE_MAX} 字。",
            errors=[{"field": "note", "message": f"最多 {NOTE_MAX} 字（现 {len(note)} 字）"}],
        )
    with transaction.atomic():
        profile, created = VolunteerProfile.objects.select_for_update().get_or_create(person=person)
        before = {"skills": list(profile.skills), "free_slots": list(profile.free_slots), "note": profile.note}
        profile.skills, profile.free_slots, profile.note = skills, free_slots, note
        changes = {
            f: {"old": before[f], "new": getattr(profile, f)}
            for f in ("skills", "free_slots", "note")
            if before[f] != getattr(profile, f)
        }
        if changes or created:
            profile.save()
            audit_record(
                actor=actor,
                action="volunteering.profile.create" if created else "volunteering.profile.update",
                target=("volunteering.volunteerprofile", profile.pk, person.name),
                changes=changes,
            )
    return profile


def skill_labels(values) -> list[str]:
    labels = dict(Skill.choices)
    return [str(labels[v]) for v in values if v in labels]


def slot_labels(values) -> list[str]:
    labels = dict(TimeSlot.choices)
    return [str(labels[v]) for v in values if v in labels]
