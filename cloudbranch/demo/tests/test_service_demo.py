"""The volunteering demo (issue 9 item 8): posts with shifts and sign-ups in every state, confirmed
hours and ratings both ways, profiles, micro-wishes in every state, partnerships, at a small scale."""

import datetime

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import seeding, service_demo
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.people.models import Person
from cloudbranch.points.models import PointEvent
from cloudbranch.volunteering import audience
from cloudbranch.volunteering.choices import PartnershipStatus, PostStatus, SignupStatus, WishStatus
from cloudbranch.volunteering.models import (
    JointActivity,
    Partner,
    Partnership,
    PartnershipSummary,
    ServicePost,
    Shift,
    Signup,
    VolunteerProfile,
    Wish,
    WishEvent,
)

from .parts import module_seed

PARAMS = ScaleParams(universities=1, colleges=3, branches=12, people=500)
TODAY = datetime.date(2026, 11, 26)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (ServicePost, Shift, Signup, VolunteerProfile, Wish, WishEvent, Partner, Partnership, JointActivity)


def seed():
    with allow_accounts:
        return seeding.seed(scale="demo", seed=1, params=PARAMS, today=TODAY)


_media, _only_these_parts, _seed_of_the_module = module_seed("life", "news", "service", seed=seed, media="service")


@pytest.fixture
def seeded(_seed_of_the_module, db):
    assert _seed_of_the_module.created and _seed_of_the_module.service
    return _seed_of_the_module


def units(seeded):
    return seeding.demo_units(seeded.root, province=False)


def person(username):
    return Person.objects.get(user__username=username)


def test_counts_and_audit(seeded):
    c = seeded.service
    assert c["posts_bulk"] + c["showcase_posts"] == ServicePost.objects.count()
    assert c["signups_bulk"] > 0 and c["profiles_bulk"] > 0
    assert AuditEvent.objects.get(action=service_demo.SERVICE_ACTION).changes["posts_bulk"] == c["posts_bulk"]
    assert AuditEvent.objects.filter(action="volunteering.signup.confirm").exists()  # through the services


def test_shifts_are_in_the_daytime_of_the_project_time_zone(seeded):
    """Shift times are built as hours of a day in Asia/Shanghai: seeded with the real clock they
    once came out in UTC, so a 14:00 shift read 22:00."""
    hours = {timezone.localtime(s.starts_at).hour for s in Shift.objects.all()}
    assert hours and hours <= {8, 9, 14, 15}


def test_every_signup_state_and_ratings(seeded):
    statuses = set(Signup.objects.values_list("status", flat=True))
    for s in (SignupStatus.SIGNED_UP, SignupStatus.WAITLISTED, SignupStatus.CONFIRMED, SignupStatus.ABSENT):
        assert s in statuses
    confirmed = Signup.objects.filter(status=SignupStatus.CONFIRMED)
    assert not confirmed.filter(hours__isnull=True).exists()
    assert confirmed.filter(member_rating__isnull=False).exists()
    assert confirmed.filter(organizer_rating__isnull=False).exists()
    for shift in Shift.objects.all():
        seats = shift.signups.filter(status__in=("signed_up", "checked_in", "checked_out", "confirmed")).count()
        assert seats <= shift.headcount
        if shift.signups.filter(status=SignupStatus.WAITLISTED).exists():
            assert seats == shift.headcount
    assert ServicePost.objects.filter(status=PostStatus.DRAFT).exists()


def test_member1_sees_their_service(seeded):
    me = person("member1")
    mine = Signup.objects.filter(person=me)
    done = mine.get(status=SignupStatus.CONFIRMED)
    assert done.hours > 0 and done.member_rating == 5 and done.organizer_rating == 5
    assert done.checked_in_at and done.checked_out_at
    assert mine.filter(status=SignupStatus.SIGNED_UP, shift__starts_at__gt=done.shift.ends_at).exists()
    assert mine.filter(status=SignupStatus.WAITLISTED).exists()
    assert PointEvent.objects.filter(person=me, action="volunteering", source_id=str(done.pk)).exists()
    assert VolunteerProfile.objects.get(person=me).skills
    visible = audience.posts_for(me)
    assert (
        visible.filter(unit=units(seeded)["branch1"]).exists()
        and visible.filter(unit=units(seeded)["college"]).exists()
    )


def test_wishes_in_every_state(seeded):
    branch1 = units(seeded)["branch1"]
    wishes = Wish.objects.filter(unit=branch1)
    assert set(wishes.values_list("status", flat=True)) == set(WishStatus.values)
    me = person("member1")
    assert wishes.filter(status=WishStatus.CLAIMED, claimed_by=me).exists()
    fulfilled = wishes.get(status=WishStatus.FULFILLED)
    assert fulfilled.claimed_by == me and fulfilled.fulfil_photo and fulfilled.fulfil_note
    assert fulfilled.fulfil_photo.storage.exists(fulfilled.fulfil_photo.name)
    confirmed = wishes.get(status=WishStatus.CONFIRMED)
    assert confirmed.confirmed_by.username == "secretary1" and confirmed.fulfil_photo
    assert WishEvent.objects.filter(wish__unit=branch1).count() >= 6
    assert audience.wishes_for(me).filter(status=WishStatus.OPEN).exists()


def test_partnerships(seeded):
    branch1 = units(seeded)["branch1"]
    kinds = set(Partner.objects.values_list("kind", flat=True))
    assert {"community", "rural", "enterprise"} <= kinds
    ps = Partnership.objects.filter(unit=branch1)
    assert ps.filter(status=PartnershipStatus.ACTIVE).count() >= 2
    assert ps.filter(status=PartnershipStatus.TERMINATED, end_reason__gt="").exists()
    assert all(p.goals for p in ps)
    acts = JointActivity.objects.filter(partnership__unit=branch1)
    assert acts.filter(meeting__isnull=False).exists() and acts.filter(post__isnull=False).exists()
    for a in acts:
        assert a.partnership.starts_on <= a.held_on <= a.partnership.ends_on
        if a.meeting_id:
            assert a.meeting.unit_id == branch1.pk
    assert PartnershipSummary.objects.filter(partnership__unit=branch1, year=TODAY.year - 1).count() == ps.count()


def test_second_seed_adds_nothing(seeded):
    before = {m.__name__: m.objects.count() for m in MODELS}
    again = seed()
    assert not again.created and again.service is None
    assert {m.__name__: m.objects.count() for m in MODELS} == before
