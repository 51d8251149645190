"""Demo rows for the onboarding app, called by the demo seeder (``cloudbranch.demo``).

``seed`` picks 3 roster people without an account (so a newcomer can try /activate/) and returns
what to type; it also sends one invitation batch to a second branch so the officials' page has
history. Idempotent: ``has_onboarding(root)`` says whether it ran already.
"""

from __future__ import annotations

import random

from django.contrib.auth import get_user_model

from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can
from cloudbranch.people.models import Person

from . import services
from .models import InvitationBatch

TRY_PEOPLE = 3


def has_onboarding(root: OrgUnit) -> bool:
    return InvitationBatch.objects.filter(unit__path__startswith=root.path).exists()


def activation_candidates(root: OrgUnit, *, unit: OrgUnit | None = None, rng=None, n: int = TRY_PEOPLE) -> list[dict]:
    """``n`` roster people without an account, with a staff number and a phone, in ``unit`` (or
    anywhere under ``root``): name, ID number and staff number to print for the demo."""
    rng = rng or random.Random(1)
    taken = set(get_user_model().objects.values_list("username", flat=True))
    qs = (
        Person.objects.on_roster()
        .filter(unit__path__startswith=(unit or root).path, user__isnull=True)
        .exclude(staff_number="")
        .exclude(phone="")
        .select_related("unit")
        .order_by("id")
    )
    pool = [p for p in qs[:200] if p.staff_number.strip().lower() not in {t.lower() for t in taken}]
    picked = sorted(rng.sample(pool, min(n, len(pool))), key=lambda p: p.pk)
    return [
        {
            "name": p.name,
            "id_number": p.reveal_id_number(),
            "staff_number": p.staff_number,
            "phone": p.phone_masked,
            "unit": p.unit.name,
        }
        for p in picked
    ]


def seed(root: OrgUnit, *, seed: int = 1, creator: int | None = None, demo: dict | None = None, **_ignored) -> dict:
    """Write the onboarding demo under ``root``; call inside a transaction. ``creator``: the user id
    of an official managing ``root`` (the organization department admin); ``demo``: the demo units
    (``branch1`` for the people to try, ``branch2`` for the invitation batch)."""
    rng = random.Random(f"onboarding:{seed}")
    demo = demo or {}
    people = activation_candidates(root, unit=demo.get("branch1"), rng=rng)
    counts: dict = {"try_activation": people, "batch": None, "sent": 0}
    official = get_user_model().objects.filter(pk=creator).first() if creator else None
    target = demo.get("branch2") or demo.get("college") or root
    if official is not None and can(official, services.INVITE_PERMISSION, target):
        batch = InvitationBatch.objects.create(unit=target, filters={}, created_by=official)
        run = services.invitation_batch_send(batch_id=batch.pk)
        counts.update(batch=batch.pk, sent=run["sent"])
    return counts
