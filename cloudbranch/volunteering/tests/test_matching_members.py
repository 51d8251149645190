"""Members matched to an organizer's post; invitations (idempotent per day); the organizer page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant
from cloudbranch.volunteering import matching
from cloudbranch.volunteering.matching import recommend_members

from .factories import local_dt, make_profile, make_service_post, make_shift, make_signup

pytestmark = pytest.mark.django_db

SAT = local_dt(2031, 6, 7, 9)  # a Saturday morning in the future


def _with_user(unit, **kw):
    return PersonFactory(unit=unit, user=UserFactory(), **kw)


@pytest.fixture
def post(world):
    post = make_service_post(
        world.branch_a1, organizer=world.users["secretary1"], skills=["medical"], content_type="elderly"
    )
    make_shift(post, starts_at=SAT)
    return post


def test_members_ranked_with_reasons(world, post):
    nurse = _with_user(world.branch_a1, name="护士")
    make_profile(nurse, skills=["medical"], free_slots=["sat_am"])
    helper = _with_user(world.group_a1, name="老帮手")
    old = make_service_post(world.branch_a1, status="closed")
    for d in (1, 2):
        make_signup(make_shift(old, starts_at=local_dt(2030, 3, d, 9)), helper, status="confirmed", hours=2)
    masses = _with_user(world.branch_a1, name="群众甲", political_status="masses", joined_on=None, confirmed_on=None)
    make_profile(masses, skills=["medical"], free_slots=["sat_am"])

    found = recommend_members(post)
    names = [m.person.name for m in found]
    # party members first (best score first), then the others; member1 has no profile, no history
    assert names[:3] == ["护士", "老帮手", "党员一"]
    assert names[-1] == "群众甲"
    nurse_match = found[0]
    assert nurse_match.reasons == ["特长“医疗护理”符合岗位要求", "周六上午有空"]
    assert found[1].reasons == ["参加过 2 次同类服务（助老助残）", "参加过 2 次社区服务领域的服务"]
    assert found[2].reasons == ["本组织党员，尚无匹配记录"]
    # people without a login (a1_other) and outside the audience (a2, b1) are not offered
    assert "张一" not in names and "李二" not in names and "王三" not in names


def test_already_signed_up_and_off_roster_excluded(world, post):
    signed = _with_user(world.branch_a1, name="已报名")
    make_signup(post.shifts.first(), signed)
    waiting = _with_user(world.branch_a1, name="候补")
    make_signup(post.shifts.first(), waiting, status="waitlisted")
    cancelled = _with_user(world.branch_a1, name="取消过")
    make_signup(post.shifts.first(), cancelled, status="cancelled")
    _with_user(world.branch_a1, name="已转出", roster_status="transferred_out")
    names = {m.person.name for m in recommend_members(post)}
    assert "已报名" not in names and "候补" not in names and "已转出" not in names
    assert "取消过" in names


def test_members_query_count_constant(world, post):
    def grow(n):
        old = make_service_post(world.branch_a1, status="closed")
        for _ in range(n):
            p = _with_user(world.branch_a1)
            make_profile(p, skills=["medical"], free_slots=["sat_am"])
            make_signup(make_shift(old, starts_at=local_dt(2030, 3, 1, 9)), p, status="confirmed", hours=1)

    grow(2)
    with CaptureQueriesContext(connection) as small:
        a = recommend_members(post, limit=None)
    grow(10)
    with CaptureQueriesContext(connection) as large:
        b = recommend_members(post, limit=None)
    assert len(b) == len(a) + 10
    assert len(small) == len(large) == 4  # shifts, people + profiles, past service, today's invitations


def test_invite_notifies_audits_and_refuses_twice_a_day(world, post):
    target = _with_user(world.branch_a1, name="被邀请人")
    person = matching.post_invite(actor=world.users["secretary1"], post=post, person_id=target.pk)
    assert person == target
    note = Notification.objects.get(recipient=target.user)
    assert note.category == "service" and post.title in note.title
    assert note.url == matching.post_url(post.pk)
    event = AuditEvent.objects.get(action=matching.INVITE_ACTION)
    assert event.target_type == "volunteering.invitation"
    assert event.changes["post"]["new"] == post.pk and event.changes["person"]["new"] == target.pk
    with pytest.raises(ConflictError, match="今天已经邀请过被邀请人"):
        matching.post_invite(actor=world.users["secretary1"], post=post, person_id=target.pk)
    assert Notification.objects.filter(recipient=target.user).count() == 1
    assert AuditEvent.objects.filter(action=matching.INVITE_ACTION).count() == 1
    assert [m.invited_today for m in recommend_members(post) if m.person == target] == [True]


def test_invite_rules(world, post):
    sec = world.users["secretary1"]
    with pytest.raises(DomainError, match="服务范围"):
        matching.post_invite(actor=sec, post=post, person_id=world.people["a2_person"].pk)
    with pytest.raises(DomainError, match="没有可用的登录账号"):
        matching.post_invite(actor=sec, post=post, person_id=world.people["a1_other"].pk)
    signed = _with_user(world.branch_a1)
    make_signup(post.shifts.first(), signed)
    with pytest.raises(ConflictError, match="已经报名"):
        matching.post_invite(actor=sec, post=post, person_id=signed.pk)
    post.status = "closed"
    post.save()
    with pytest.raises(ConflictError, match="不在招募中"):
        matching.post_invite(actor=sec, post=post, person_id=world.people["member1"].pk)


def test_invite_permissions(world, post):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises(Http404):
        matching.post_invite(actor=world.users["secretary2"], post=post, person_id=world.people["member1"].pk)
    with pytest.raises(Http404):
        matching.post_invite(actor=world.users["member1"], post=post, person_id=world.people["member1"].pk)
    college = UserFactory()
    grant(college, world.college_a, Role.COMMITTEE_SECRETARY)
    assert matching.post_invite(actor=college, post=post, person_id=world.people["member1"].pk)
    # visible but not allowed to invite → 403
    from cloudbranch.orgs import roles

    viewer_role = next(
        (
            r
            for r, perms in roles.ROLE_PERMISSIONS.items()
            if matching.VIEW_PERM in perms and matching.INVITE_PERM not in perms
        ),
        None,
    )
    if viewer_role is not None:
        viewer = UserFactory()
        grant(viewer, world.branch_a1, viewer_role)
        with pytest.raises(PermissionDenied):
            matching.post_invite(actor=viewer, post=post, person_id=world.people["member1"].pk)


# --- pages and API -----------------------------------------------------------------------------


def test_match_page(world, post, login, client):
    nurse = _with_user(world.branch_a1, name="护士")
    make_profile(nurse, skills=["medical"], free_slots=["sat_am"])
    login(world.users["secretary1"])
    response = client.get(f"/service/posts/{post.pk}/match/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "护士" in body and "特长“医疗护理”符合岗位要求" in body and "邀请" in body


def test_match_page_sibling_404_member_404(world, post, login, client):
    login(world.users["secretary2"])
    assert client.get(f"/service/posts/{post.pk}/match/").status_code == 404
    assert client.post(f"/service/posts/{post.pk}/invite/", {"person_id": 1}).status_code == 404
    assert client.get(f"/api/service/posts/{post.pk}/matches").status_code == 404
    login(world.users["member1"])
    assert client.get(f"/service/posts/{post.pk}/match/").status_code == 404


def test_match_page_query_count_constant(world, post, login, client):
    login(world.users["secretary1"])
    for _ in range(2):
        make_profile(_with_user(world.branch_a1), skills=["medical"])
    with CaptureQueriesContext(connection) as small:
        assert client.get(f"/service/posts/{post.pk}/match/").status_code == 200
    for _ in range(25):
        make_profile(_with_user(world.branch_a1), skills=["medical"])
    with CaptureQueriesContext(connection) as large:
        assert client.get(f"/service/posts/{post.pk}/match/").status_code == 200
    assert len(small) == len(large) == 9  # session, user, grants, base page, then the area's reads


def test_invite_htmx_then_409(world, post, login, client):
    target = _with_user(world.branch_a1, name="被邀请人")
    login(world.users["secretary1"])
    url = f"/service/posts/{post.pk}/invite/"
    response = client.post(url, {"person_id": target.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "今天已邀请" in response.content.decode()
    response = client.post(url, {"person_id": target.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 409 and "今天已经邀请过" in response.content.decode()
    # without HTMX: a page with the message, same status
    response = client.post(url, {"person_id": target.pk})
    assert response.status_code == 409
    assert Notification.objects.filter(recipient=target.user).count() == 1


def test_api_matches_and_invite(world, post, login, client):
    target = _with_user(world.branch_a1, name="被邀请人")
    login(world.users["secretary1"])
    data = client.get(f"/api/service/posts/{post.pk}/matches").json()
    assert data["count"] >= 2 and {"person_id", "reasons", "invited_today"} <= set(data["items"][0])
    url = f"/api/service/posts/{post.pk}/invite"
    response = client.post(url, {"person_id": target.pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    response = client.post(url, {"person_id": target.pk}, content_type="application/json")
    assert response.status_code == 409 and "今天已经邀请过" in response.json()["detail"]
