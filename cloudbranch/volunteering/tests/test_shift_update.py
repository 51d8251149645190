"""Changing a shift (posts.shift_update, P7): service rules, page and API."""

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.volunteering import posts, signups
from cloudbranch.volunteering.choices import SignupStatus
from cloudbranch.volunteering.models import Shift, Signup

from .factories import posts_member, posts_open_post

pytestmark = pytest.mark.django_db

API = "/api/service"
HOUR = datetime.timedelta(hours=1)
FMT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def setup(world):
    post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=1)
    return world, post, shift


def _sign_up(world, shift, n):
    """``n`` members signed up one second apart (the first takes the seats, the rest wait)."""
    users = [posts_member(world.branch_a1, f"志愿者{i}")[0] for i in range(n)]
    t0 = shift.signup_deadline - datetime.timedelta(days=1)
    rows = [
        signups.signup(actor=u, shift_id=shift.pk, now=t0 + datetime.timedelta(seconds=i)) for i, u in enumerate(users)
    ]
    return users, rows


def _update(world, shift, **fields):
    return posts.shift_update(actor=world.users["secretary1"], shift_id=shift.pk, **fields)


def _updates():
    return AuditEvent.objects.filter(action="volunteering.shift.update")


# --- service -------------------------------------------------------------------------------


def test_time_change_notifies_signed_up_and_waitlisted_once(setup):
    world, post, shift = setup
    users, rows = _sign_up(world, shift, 3)
    signups.signup_cancel(actor=users[2], signup_id=rows[2].pk)  # left the waiting list: not told
    old_start, old_end = shift.starts_at, shift.ends_at
    _update(
        world, shift, starts_at=old_start + datetime.timedelta(days=1), ends_at=old_end + datetime.timedelta(days=1)
    )
    shift.refresh_from_db()
    assert shift.starts_at == old_start + datetime.timedelta(days=1)
    notes = Notification.objects.filter(title__startswith="服务时段时间变更")
    assert sorted(n.recipient_id for n in notes) == sorted(u.pk for u in users[:2])
    note = notes.first()
    old, new = timezone.localtime(old_start), timezone.localtime(shift.starts_at)
    assert note.category == "service" and post.title in note.title
    assert f"{old:%m-%d %H:%M}" in note.body and "→" in note.body and f"{new:%m-%d %H:%M}" in note.body
    assert note.url == reverse("volunteering:post", args=[post.pk])
    # the sign-ups are kept
    assert [Signup.objects.get(pk=r.pk).status for r in rows] == ["signed_up", "waitlisted", "cancelled"]


def test_deadline_change_alone_tells_nobody(setup):
    world, _post, shift = setup
    _sign_up(world, shift, 1)
    _update(world, shift, signup_deadline=shift.starts_at - datetime.timedelta(minutes=10))
    assert not Notification.objects.filter(title__startswith="服务时段时间变更").exists()
    assert _updates().count() == 1


def test_cancel_cutoff_brought_forward_tells_the_seat_holders(setup):
    world, post, shift = setup
    users, _rows = _sign_up(world, shift, 2)  # one seat, one waiting
    earlier = shift.cancel_cutoff - datetime.timedelta(days=1)
    _update(world, shift, cancel_cutoff=earlier)
    (note,) = Notification.objects.filter(title__startswith="服务时段取消报名截止时间提前")
    assert note.recipient_id == users[0].pk and post.title in note.title
    assert f"{timezone.localtime(earlier):%m-%d %H:%M}" in note.body
    _update(world, shift, cancel_cutoff=earlier + HOUR)  # later again: nobody loses anything
    assert Notification.objects.filter(title__contains="截止时间").count() == 1


def test_audit_event_has_before_after_and_promoted(setup):
    world, _post, shift = setup
    before = shift.ends_at
    _update(world, shift, ends_at=before + HOUR, headcount=4)
    (event,) = _updates()
    assert event.actor == world.users["secretary1"] and event.target_id == str(shift.pk)
    assert event.changes["headcount"] == {"old": 1, "new": 4}
    assert set(event.changes) == {"ends_at", "headcount", "promoted"}
    assert event.changes["promoted"] == 0
    old_end = datetime.datetime.fromisoformat(event.changes["ends_at"]["old"])
    new_end = datetime.datetime.fromisoformat(event.changes["ends_at"]["new"])
    assert (old_end, new_end) == (before, before + HOUR)


def test_nothing_changed_writes_nothing(setup):
    world, _post, shift = setup
    _sign_up(world, shift, 2)
    notes = Notification.objects.count()
    same = {f: getattr(shift, f) for f in posts.SHIFT_EDITABLE}
    assert _update(world, shift, **same).pk == shift.pk
    assert _update(world, shift).pk == shift.pk
    assert not _updates().exists() and Notification.objects.count() == notes


def test_started_shift_refused(setup):
    world, _post, shift = setup
    with pytest.raises(ConflictError, match="已经开始"):
        _update(world, shift, headcount=5, now=shift.starts_at)
    # a second before the start it may still change
    _update(world, shift, headcount=5, now=shift.starts_at - datetime.timedelta(seconds=1))
    assert Shift.objects.get(pk=shift.pk).headcount == 5


def test_cancelled_shift_refused(setup):
    world, _post, shift = setup
    posts.shift_cancel(actor=world.users["secretary1"], shift_id=shift.pk, reason="下雨")
    with pytest.raises(ConflictError, match="已取消"):
        _update(world, shift, headcount=5)
    assert not _updates().exists()


def test_closed_post_refused(setup):
    world, post, shift = setup
    posts.post_close(actor=world.users["secretary1"], post_id=post.pk)
    with pytest.raises(ConflictError, match="不能修改时段"):
        _update(world, shift, headcount=5)


@pytest.mark.parametrize(
    "change,field",
    [
        (lambda s: {"ends_at": s.starts_at - HOUR}, "ends_at"),
        (lambda s: {"starts_at": s.ends_at + HOUR}, "ends_at"),  # merged with the old end
        (lambda s: {"signup_deadline": s.starts_at + HOUR}, "signup_deadline"),
        (lambda s: {"cancel_cutoff": s.starts_at + HOUR}, "cancel_cutoff"),
        (lambda s: {"headcount": 0}, "headcount"),
        (lambda s: {"starts_at": None}, "starts_at"),
    ],
)
def test_merged_values_rechecked(setup, change, field):
    world, _post, shift = setup
    with pytest.raises(DomainError) as exc:
        _update(world, shift, **change(shift))
    assert field in [e["field"] for e in exc.value.errors]
    assert not _updates().exists()


def test_new_start_must_be_in_future(setup):
    world, _post, shift = setup
    now = shift.starts_at - datetime.timedelta(days=1)
    with pytest.raises(DomainError) as exc:
        _update(
            world, shift, now=now, starts_at=now - HOUR, ends_at=now + HOUR, signup_deadline=None, cancel_cutoff=None
        )
    assert [e["field"] for e in exc.value.errors] == ["starts_at"]


def test_deadline_none_falls_back_to_start(setup):
    world, _post, shift = setup
    _update(world, shift, signup_deadline=None)
    shift.refresh_from_db()
    assert shift.signup_deadline == shift.starts_at


def test_headcount_below_taken_refused_with_count(world):
    _post, (shift,) = posts_open_post(world.users["secretary1"], world.branch_a1, headcount=3)
    _sign_up(world, shift, 2)
    with pytest.raises(DomainError) as exc:
        _update(world, shift, headcount=1)
    assert exc.value.errors == [{"field": "headcount", "message": "已有 2 人报名，招募人数不能少于 2 人"}]
    assert Shift.objects.get(pk=shift.pk).headcount == 3
    _update(world, shift, headcount=2)  # exactly the seats taken is fine
    assert Shift.objects.get(pk=shift.pk).headcount == 2


def test_raising_headcount_promotes_waitlist_in_order(setup):
    world, _post, shift = setup
    users, rows = _sign_up(world, shift, 4)  # one seat, three waiting
    _update(world, shift, headcount=3)
    statuses = [Signup.objects.get(pk=r.pk).status for r in rows]
    assert statuses == ["signed_up", "signed_up", "signed_up", "waitlisted"]
    assert signups.waitlist_position(Signup.objects.get(pk=rows[3].pk)) == 1
    promoted_notes = Notification.objects.filter(title__startswith="候补成功")
    assert sorted(n.recipient_id for n in promoted_notes) == sorted([users[1].pk, users[2].pk])
    assert all(n.body == posts.PROMOTED_AFTER_RAISE and n.category == "service" for n in promoted_notes)
    assert AuditEvent.objects.filter(action="volunteering.signup.promote").count() == 2
    assert _updates().get().changes["promoted"] == 2
    # a new sign-up now waits behind the one still waiting
    late, _ = posts_member(world.branch_a1, "迟到者")
    assert signups.signup(actor=late, shift_id=shift.pk).status == SignupStatus.WAITLISTED


def test_sibling_branch_is_404_and_member_too(setup):
    world, _post, shift = setup
    for who in ("secretary2", "member1"):
        with pytest.raises(Http404):
            posts.shift_update(actor=world.users[who], shift_id=shift.pk, headcount=9)
    assert Shift.objects.get(pk=shift.pk).headcount == 1


# --- page ----------------------------------------------------------------------------------


def _form(shift, **override):
    data = {
        "starts_at": timezone.localtime(shift.starts_at).strftime(FMT),
        "ends_at": timezone.localtime(shift.ends_at).strftime(FMT),
        "headcount": shift.headcount,
        "signup_deadline": timezone.localtime(shift.signup_deadline).strftime(FMT),
        "cancel_cutoff": timezone.localtime(shift.cancel_cutoff).strftime(FMT),
    }
    data.update(override)
    return data


def test_detail_page_shows_edit_to_organizers_only(setup, login):
    world, post, shift = setup
    edit = reverse("volunteering:shift_edit", args=[shift.pk])
    url = reverse("volunteering:post", args=[post.pk])
    assert edit in login(world.users["secretary1"]).get(url).content.decode()
    assert edit not in login(world.users["member1"]).get(url).content.decode()
    posts.shift_cancel(actor=world.users["secretary1"], shift_id=shift.pk, reason="下雨")
    assert edit not in login(world.users["secretary1"]).get(url).content.decode()


def test_page_prefilled_and_saves(setup, login):
    world, post, shift = setup
    _users, rows = _sign_up(world, shift, 2)
    client = login(world.users["secretary1"])
    url = reverse("volunteering:shift_edit", args=[shift.pk])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "修改服务时段" in body and "保存并继续添加" not in body
    assert timezone.localtime(shift.starts_at).strftime(FMT) in body
    # only the headcount touched: the times keep their seconds, nobody is told of a new time
    resp = client.post(url, _form(shift, headcount=2), follow=True)
    assert resp.redirect_chain[-1][0] == reverse("volunteering:post", args=[post.pk])
    assert "服务时段已修改" in resp.content.decode()
    fresh = Shift.objects.get(pk=shift.pk)
    assert fresh.headcount == 2 and fresh.starts_at == shift.starts_at
    assert Signup.objects.get(pk=rows[1].pk).status == SignupStatus.SIGNED_UP
    assert set(_updates().get().changes) == {"headcount", "promoted"}
    assert not Notification.objects.filter(title__startswith="服务时段时间变更").exists()


def test_page_422_with_field_error(setup, login):
    world, _post, shift = setup
    client = login(world.users["secretary1"])
    url = reverse("volunteering:shift_edit", args=[shift.pk])
    early = timezone.localtime(shift.starts_at - HOUR).strftime(FMT)
    resp = client.post(url, _form(shift, ends_at=early))
    assert resp.status_code == 422
    assert resp.context["form"].errors["ends_at"] == ["结束时间必须晚于开始时间"]
    assert "结束时间必须晚于开始时间" in resp.content.decode()
    _sign_up(world, shift, 1)
    Shift.objects.filter(pk=shift.pk).update(headcount=2)
    _sign_up(world, shift, 1)
    resp = client.post(url, _form(Shift.objects.get(pk=shift.pk), headcount=1))
    assert resp.status_code == 422 and resp.context["form"].errors["headcount"] == [
        "已有 2 人报名，招募人数不能少于 2 人"
    ]
    assert not _updates().exists()


def test_page_sibling_404(setup, login):
    world, _post, shift = setup
    client = login(world.users["secretary2"])
    url = reverse("volunteering:shift_edit", args=[shift.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, _form(shift, headcount=9)).status_code == 404
    assert Shift.objects.get(pk=shift.pk).headcount == 1


def test_detail_page_queries_flat_in_shifts(world, login):
    post, _shifts = posts_open_post(world.users["secretary1"], world.branch_a1, shifts=2)
    client = login(world.users["secretary1"])
    url = reverse("volunteering:post", args=[post.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    count()  # warm process-level caches
    few = count()
    start = max(s.ends_at for s in post.shifts.all())
    for i in range(6):
        s = start + HOUR * (2 * i + 1)
        posts.shift_add(actor=world.users["secretary1"], post_id=post.pk, starts_at=s, ends_at=s + HOUR, headcount=2)
    assert count() == few == 9


# --- API -----------------------------------------------------------------------------------


def test_api_patch(setup, login):
    world, _post, shift = setup
    users, rows = _sign_up(world, shift, 2)
    client = login(world.users["secretary1"])
    new_end = shift.ends_at + HOUR
    resp = client.patch(
        f"{API}/shifts/{shift.pk}",
        {"headcount": 3, "ends_at": new_end.isoformat()},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["id"] == shift.pk and body["headcount"] == 3
    assert (body["seats_taken"], body["seats_left"], body["waitlisted"]) == (2, 1, 0)
    assert datetime.datetime.fromisoformat(body["ends_at"]) == new_end
    assert Signup.objects.get(pk=rows[1].pk).status == SignupStatus.SIGNED_UP
    assert body["starts_at"] and Shift.objects.get(pk=shift.pk).starts_at == shift.starts_at  # not sent: kept


def test_api_patch_errors(setup, login):
    world, _post, shift = setup
    client = login(world.users["secretary1"])
    url = f"{API}/shifts/{shift.pk}"
    bad = client.patch(url, {"ends_at": (shift.starts_at - HOUR).isoformat()}, content_type="application/json")
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["ends_at"]
    assert (
        login(world.users["secretary2"]).patch(url, {"headcount": 9}, content_type="application/json").status_code
        == 404
    )
    posts.shift_cancel(actor=world.users["secretary1"], shift_id=shift.pk, reason="下雨")
    gone = login(world.users["secretary1"]).patch(url, {"headcount": 9}, content_type="application/json")
    assert gone.status_code == 409
    assert not _updates().exists()
