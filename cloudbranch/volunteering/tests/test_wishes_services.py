"""Micro-wishes: every rule and transition of ``wishes`` (SQLite; the concurrent claim runs on
PostgreSQL in test_wishes_postgres.py)."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import Image

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.people.choices import PoliticalStatus
from cloudbranch.points.models import PointEvent
from cloudbranch.testing.factories import PersonFactory
from cloudbranch.volunteering import wishes
from cloudbranch.volunteering.choices import WishStatus
from cloudbranch.volunteering.models import WishEvent

from .factories import wish_member, wish_open, wish_png

pytestmark = pytest.mark.django_db


def photo(data=None, name="done.png", content_type="image/png"):
    return SimpleUploadedFile(name, data if data is not None else wish_png(), content_type=content_type)


@pytest.fixture
def setup(world, django_capture_on_commit_callbacks):
    sec = world.users["secretary1"]
    wish = wish_open(sec, world.branch_a1)
    return world, sec, wish


# --- masking and privacy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,masked",
    [
        ("张三", "张*"),
        ("张小明", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳", "欧*"),
        ("李", "李*"),
        ("", ""),
        (" 王五 ", "王*"),
    ],
)
def test_mask_name(name, masked):
    assert wishes.mask_name(name) == masked


def test_privacy_officer_claimant_and_others(setup):
    world, sec, wish = setup
    member = world.users["member1"]
    person = world.people["member1"]
    shown = wishes.wisher_shown(sec, wish)
    assert (shown.name, shown.contact, shown.name_masked) == ("张小明", "13800001111", False)
    shown = wishes.wisher_shown(member, wish, person)
    assert (shown.name, shown.contact, shown.contact_shown) == ("张**", "", False)
    wishes.wish_claim(actor=member, wish_id=wish.pk)
    wish = wishes.access_wish(member, wish.pk)
    shown = wishes.wisher_shown(member, wish, person)
    assert (shown.name, shown.contact) == ("张**", "13800001111")  # the claimant: contact, name still masked
    other_user, other = wish_member(world.branch_a1, "旁观党员")
    assert wishes.wisher_shown(other_user, wish, other).contact == ""
    # An officer of another branch never sees it at all; the college's committee sees everything.
    with pytest.raises(Http404):
        wishes.access_wish(world.users["secretary2"], wish.pk)
    assert wishes.wisher_shown(world.users["admin"], wish).name == "张小明"


# --- officer actions -----------------------------------------------------------------------------


def test_create_rules_and_scope(world):
    sec = world.users["secretary1"]
    with pytest.raises(DomainError) as exc:
        wishes.wish_create(
            actor=sec, unit_id=world.branch_a1.pk, title="", category="x", wisher_kind="public", wisher_name=""
        )
    assert {e["field"] for e in exc.value.errors} == {"title", "category", "wisher_name"}
    with pytest.raises(Http404):
        wish_open(world.users["secretary2"], world.branch_a1)
    with pytest.raises(Http404):
        wish_open(world.users["member1"], world.branch_a1)
    wish = wish_open(sec, world.group_a1, wisher_kind="public")
    assert wish.status == WishStatus.OPEN and wish.created_by == sec
    assert WishEvent.objects.filter(wish=wish, status=WishStatus.OPEN).count() == 1
    audit = AuditEvent.objects.get(action="volunteering.wish.create")
    assert "13800001111" not in str(audit.changes) and "张小明" not in str(audit.changes)


def test_edit_only_while_open(setup):
    world, sec, wish = setup
    wishes.wish_update(
        actor=sec, wish_id=wish.pk, title="书包和文具", category="study", wisher_kind="in_need", wisher_name="张小明"
    )
    wish.refresh_from_db()
    assert wish.title == "书包和文具"
    assert AuditEvent.objects.filter(action="volunteering.wish.update").count() == 1
    with pytest.raises(PermissionDenied):
        wishes.wish_update(
            actor=world.users["member1"],
            wish_id=wish.pk,
            title="x",
            category="study",
            wisher_kind="in_need",
            wisher_name="x",
        )
    wishes.wish_claim(actor=world.users["member1"], wish_id=wish.pk)
    with pytest.raises(ConflictError):
        wishes.wish_update(
            actor=sec, wish_id=wish.pk, title="y", category="study", wisher_kind="in_need", wisher_name="x"
        )


def test_withdraw_needs_reason_and_notifies_claimant(setup, django_capture_on_commit_callbacks):
    world, sec, wish = setup
    wishes.wish_claim(actor=world.users["member1"], wish_id=wish.pk)
    with pytest.raises(DomainError):
        wishes.wish_withdraw(actor=sec, wish_id=wish.pk, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        wishes.wish_withdraw(actor=sec, wish_id=wish.pk, reason="心愿人已搬离")
    wish.refresh_from_db()
    assert wish.status == WishStatus.WITHDRAWN
    note = Notification.objects.get(recipient=world.users["member1"], title__contains="撤回")
    assert note.category == "service" and "心愿人已搬离" in note.body
    with pytest.raises(ConflictError):
        wishes.wish_withdraw(actor=sec, wish_id=wish.pk, reason="again")
    # The claimant still sees their withdrawn wish (history); others in the audience do not.
    wishes.access_wish(world.users["member1"], wish.pk)
    other_user, _ = wish_member(world.branch_a1)
    with pytest.raises(Http404):
        wishes.access_wish(other_user, wish.pk)


# --- claims ----------------------------------------------------------------------------------------


def test_claim_audience_and_single_claimant(setup, django_capture_on_commit_callbacks):
    world, sec, wish = setup
    with django_capture_on_commit_callbacks(execute=True):
        wishes.wish_claim(actor=world.users["member1"], wish_id=wish.pk)
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED and wish.claimed_by == world.people["member1"]
    assert Notification.objects.filter(recipient=sec, title__contains="已被认领").exists()
    assert AuditEvent.objects.filter(action="volunteering.wish.claim").count() == 1
    second, _ = wish_member(world.group_a1)  # below the unit: in the audience
    with pytest.raises(ConflictError):
        wishes.wish_claim(actor=second, wish_id=wish.pk)
    outsider, _ = wish_member(world.branch_a2)
    with pytest.raises(Http404):
        wishes.wish_claim(actor=outsider, wish_id=wish.pk)


def test_college_wish_reaches_branches_not_other_college(world):
    college_sec = world.users["admin"]
    wish = wish_open(college_sec, world.college_a)
    a2_user, _ = wish_member(world.branch_a2)
    b1_user, _ = wish_member(world.branch_b1)
    wishes.access_wish(a2_user, wish.pk)
    with pytest.raises(Http404):
        wishes.access_wish(b1_user, wish.pk)


def test_only_party_members_on_roster_claim(setup):
    world, sec, wish = setup
    from cloudbranch.testing.factories import UserFactory

    user = UserFactory()
    PersonFactory(unit=world.branch_a1, user=user, political_status=PoliticalStatus.ACTIVIST)
    with pytest.raises(PermissionDenied):
        wishes.wish_claim(actor=user, wish_id=wish.pk)


def test_claim_limit(world):
    sec = world.users["secretary1"]
    member = world.users["member1"]
    made = [wish_open(sec, world.branch_a1, title=f"心愿{i}") for i in range(wishes.MAX_OPEN_CLAIMS + 1)]
    for w in made[:-1]:
        wishes.wish_claim(actor=member, wish_id=w.pk)
    with pytest.raises(DomainError) as exc:
        wishes.wish_claim(actor=member, wish_id=made[-1].pk)
    assert exc.value.status == 422 and exc.value.code == "claim_limit"
    # Fulfilling one frees a place (only unfulfilled claims count).
    wishes.wish_fulfil(actor=member, wish_id=made[0].pk, photo=photo(), note="已送到")
    wishes.wish_claim(actor=member, wish_id=made[-1].pk)


def test_release(setup, django_capture_on_commit_callbacks):
    world, sec, wish = setup
    member = world.users["member1"]
    other_user, _ = wish_member(world.branch_a1)
    with pytest.raises(ConflictError):
        wishes.wish_release(actor=member, wish_id=wish.pk, reason="x")
    wishes.wish_claim(actor=member, wish_id=wish.pk)
    with pytest.raises(PermissionDenied):
        wishes.wish_release(actor=other_user, wish_id=wish.pk, reason="x")
    with pytest.raises(DomainError):
        wishes.wish_release(actor=member, wish_id=wish.pk, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        wishes.wish_release(actor=member, wish_id=wish.pk, reason="临时出差")
    wish.refresh_from_db()
    assert (wish.status, wish.claimed_by_id, wish.claimed_at) == (WishStatus.OPEN, None, None)
    assert Notification.objects.filter(recipient=sec, body__contains="临时出差").exists()
    wishes.wish_claim(actor=other_user, wish_id=wish.pk)  # open again for anyone


# --- fulfil, confirm, send back ---------------------------------------------------------------------


def test_fulfil_photo_rules(setup):
    world, sec, wish = setup
    member = world.users["member1"]
    wishes.wish_claim(actor=member, wish_id=wish.pk)
    bad = [
        photo(b"this is plain text, not a photo", name="fake.jpg", content_type="image/jpeg"),
        photo(wish_png(fmt="WEBP"), name="x.webp", content_type="image/webp"),
        None,
    ]
    for upload in bad:
        with pytest.raises(DomainError) as exc:
            wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=upload, note="已送到")
        assert exc.value.errors[0]["field"] == "photo"
    big = photo(b"0" * (10 * 1024 * 1024 + 1), name="big.jpg")
    with pytest.raises(DomainError, match="10 MB"):
        wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=big, note="已送到")
    with pytest.raises(DomainError):
        wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=photo(), note="")
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED and not wish.fulfil_photo
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0)}
    jpeg = photo(wish_png(fmt="JPEG", exif=exif.tobytes()), name="done.jpg", content_type="image/jpeg")
    wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=jpeg, note="已送到孩子手中")
    wish.refresh_from_db()
    assert wish.status == WishStatus.FULFILLED and wish.fulfil_note == "已送到孩子手中"
    with wish.fulfil_photo.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert stored.format == "JPEG" and not stored.getexif()


def test_confirm_awards_points_once(setup, django_capture_on_commit_callbacks):
    world, sec, wish = setup
    member = world.users["member1"]
    wishes.wish_claim(actor=member, wish_id=wish.pk)
    with pytest.raises(ConflictError):
        wishes.wish_confirm(actor=sec, wish_id=wish.pk)
    wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=photo(), note="已送到")
    with pytest.raises(PermissionDenied):
        wishes.wish_confirm(actor=member, wish_id=wish.pk)
    with pytest.raises(Http404):
        wishes.wish_confirm(actor=world.users["secretary2"], wish_id=wish.pk)
    with django_capture_on_commit_callbacks(execute=True):
        wishes.wish_confirm(actor=sec, wish_id=wish.pk)
    wish.refresh_from_db()
    assert wish.status == WishStatus.CONFIRMED and wish.confirmed_by == sec
    events = PointEvent.objects.filter(
        person=world.people["member1"], source_type="volunteering.wish", source_id=str(wish.pk)
    )
    assert events.count() == 1
    assert Notification.objects.filter(recipient=member, title__contains="已确认实现").exists()
    with pytest.raises(ConflictError):
        wishes.wish_confirm(actor=sec, wish_id=wish.pk)
    assert list(WishEvent.objects.filter(wish=wish).values_list("status", flat=True)) == [
        "open", "claimed", "fulfilled", "confirmed",
    ]  # fmt: skip
    actions = set(AuditEvent.objects.filter(target_type="volunteering.wish").values_list("action", flat=True))
    assert {
        "volunteering.wish.create",
        "volunteering.wish.claim",
        "volunteering.wish.fulfil",
        "volunteering.wish.confirm",
    } <= actions


def test_send_back_then_fulfil_again(setup, django_capture_on_commit_callbacks):
    world, sec, wish = setup
    member = world.users["member1"]
    wishes.wish_claim(actor=member, wish_id=wish.pk)
    wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=photo(), note="已送到")
    with pytest.raises(DomainError):
        wishes.wish_send_back(actor=sec, wish_id=wish.pk, comment="")
    with django_capture_on_commit_callbacks(execute=True):
        wishes.wish_send_back(actor=sec, wish_id=wish.pk, comment="照片看不清，请补拍")
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED and wish.claimed_by == world.people["member1"]
    assert Notification.objects.filter(recipient=member, body="照片看不清，请补拍").exists()
    old = wish.fulfil_photo.name
    with django_capture_on_commit_callbacks(execute=True):
        wishes.wish_fulfil(actor=member, wish_id=wish.pk, photo=photo(), note="补拍了")
    wish.refresh_from_db()
    assert wish.status == WishStatus.FULFILLED and wish.fulfil_photo.name != old
    assert not wish.fulfil_photo.storage.exists(old)


def test_duty_holders_see_nothing(setup):
    world, sec, wish = setup
    for name in ("sysadmin", "secadmin", "auditor"):
        with pytest.raises(Http404):
            wishes.access_wish(world.users[name], wish.pk)
