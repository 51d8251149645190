"""Co-building: partners, partnerships, joint activities and yearly summaries — every rule."""

import datetime

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.testing.factories import PersonFactory
from cloudbranch.volunteering import partnerships as ps
from cloudbranch.volunteering.choices import PartnershipStatus
from cloudbranch.volunteering.models import PartnershipSummary

from .factories import partner_make, partnership_make

pytestmark = pytest.mark.django_db


D = datetime.date


def _meeting(unit, user, status="held"):
    start = timezone.now().replace(month=timezone.localdate().month, day=min(timezone.localdate().day, 28))
    return apps.get_model("meetings", "Meeting").objects.create(
        unit=unit, kind="general", status=status, title="联合主题党日", place="社区", invitee_scope="whole_unit",
        starts_at=start, ends_at=start + datetime.timedelta(hours=2), created_by=user,
    )  # fmt: skip


def _post(unit, **fields):
    return apps.get_model("news", "Post").objects.create(
        unit=unit, author=PersonFactory(unit=unit), body="共建活动报道", **fields
    )


def test_partner_rules(world):
    sec = world.users["secretary1"]
    partner = partner_make(sec, world.branch_a1)
    with pytest.raises(DomainError) as exc:
        partner_make(sec, world.branch_a1)
    assert exc.value.errors[0]["field"] == "name"
    with pytest.raises(DomainError):
        ps.partner_create(actor=sec, unit_id=world.branch_a1.pk, name="", kind="nope")
    with pytest.raises(Http404):
        partner_make(world.users["secretary2"], world.branch_a1, name="别的")
    with pytest.raises(Http404):
        ps.access_partner(world.users["secretary2"], partner.pk)
    ps.partner_update(
        actor=sec, partner_id=partner.pk, name="某街道社区党委", kind="community", contact_phone="13900000000"
    )
    audit = AuditEvent.objects.get(action="volunteering.partner.update")
    assert "13900000000" not in str(audit.changes)


def test_partnership_period_goals_and_partner_scope(world):
    sec = world.users["secretary1"]
    partner = partner_make(sec, world.branch_a1)
    base = dict(actor=sec, unit_id=world.branch_a1.pk, partner_id=partner.pk, title="共建", signed_on=D(2025, 1, 1))
    with pytest.raises(DomainError) as exc:
        ps.partnership_create(**base, goals="", starts_on=D(2025, 3, 1), ends_on=D(2025, 2, 1))
    assert {e["field"] for e in exc.value.errors} == {"goals", "ends_on"}
    p = ps.partnership_create(**base, goals="目标一\n\n 目标二 \n", starts_on=D(2025, 1, 1), ends_on=D(2025, 1, 1))
    assert p.goals == ["目标一", "目标二"]
    # A college's partner serves its branches; a sibling branch's partner does not.
    college_partner = partner_make(world.users["admin"], world.college_a, name="某区政府")
    ps.partnership_create(
        **{**base, "partner_id": college_partner.pk}, goals=["x"], starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31)
    )
    a2_partner = partner_make(world.users["secretary2"], world.branch_a2, name="某企业", kind="enterprise")
    with pytest.raises(DomainError):
        ps.partnership_create(
            **{**base, "partner_id": a2_partner.pk}, goals=["x"], starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31)
        )


def test_agreement_file_checked(world):
    sec = world.users["secretary1"]
    partner = partner_make(sec, world.branch_a1)
    base = dict(actor=sec, unit_id=world.branch_a1.pk, partner_id=partner.pk, title="共建", goals=["x"],
                signed_on=D(2025, 1, 1), starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31))  # fmt: skip
    for upload in (SimpleUploadedFile("a.pdf", b"not a pdf"), SimpleUploadedFile("a.exe", b"MZ")):
        with pytest.raises(DomainError) as exc:
            ps.partnership_create(**base, agreement_file=upload)
        assert exc.value.errors[0]["field"] == "agreement_file"
    p = ps.partnership_create(**base, agreement_file=SimpleUploadedFile("协议.pdf", b"%PDF-1.4 test"))
    assert p.agreement_file.name.endswith(".pdf")


def test_ended_is_computed_and_terminate(world):
    sec = world.users["secretary1"]
    old = partnership_make(
        sec, world.branch_a1, starts_on=D(2020, 1, 1), ends_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert old.status == PartnershipStatus.ACTIVE and ps.shown_status(old) == PartnershipStatus.ENDED
    assert ps.partnership_list(sec, status="ended").get().pk == old.pk
    assert ps.shown_status(old, today=old.ends_on) == PartnershipStatus.ACTIVE
    with pytest.raises(ConflictError):
        ps.partnership_end(actor=sec, partnership_id=old.pk, reason="x")
    current = partnership_make(sec, world.branch_a1, ps.access_partner(sec, old.partner_id))
    with pytest.raises(DomainError):
        ps.partnership_end(actor=sec, partnership_id=current.pk, reason="")
    with pytest.raises(Http404):
        ps.partnership_end(actor=world.users["secretary2"], partnership_id=current.pk, reason="x")
    ended = ps.partnership_end(actor=sec, partnership_id=current.pk, reason="对方单位撤并")
    assert ended.status == PartnershipStatus.TERMINATED and ended.ends_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="volunteering.partnership.end").count() == 1
    with pytest.raises(ConflictError):
        ps.partnership_end(actor=sec, partnership_id=current.pk, reason="again")


def test_activities_rules_and_links(world):
    sec = world.users["secretary1"]
    p = partnership_make(sec, world.branch_a1)
    base = dict(actor=sec, partnership_id=p.pk, title="联合党日", participants=20)
    with pytest.raises(DomainError) as exc:
        ps.activity_add(**base, held_on=p.ends_on + datetime.timedelta(days=1), goal_index=5)
    assert {e["field"] for e in exc.value.errors} == {"held_on", "goal_index"}
    own_meeting = _meeting(world.group_a1, sec)
    sibling_meeting = _meeting(world.branch_a2, sec)
    draft_meeting = _meeting(world.branch_a1, sec, status="draft")
    for bad in (sibling_meeting, draft_meeting):
        with pytest.raises(DomainError) as exc:
            ps.activity_add(**base, held_on=timezone.localdate(), meeting_id=bad.pk)
        assert exc.value.errors[0]["field"] == "meeting"
    with pytest.raises(DomainError):
        ps.activity_add(**base, held_on=timezone.localdate(), post_id=_post(world.branch_a2).pk)
    with pytest.raises(DomainError):
        ps.activity_add(**base, held_on=timezone.localdate(), post_id=_post(world.branch_a1, hidden=True).pk)
    post = _post(world.branch_a1)
    a = ps.activity_add(**base, held_on=timezone.localdate(), goal_index=1, meeting_id=own_meeting.pk, post_id=post.pk)
    assert (a.meeting_id, a.post_id, a.goal_index) == (own_meeting.pk, post.pk, 1)
    with pytest.raises(Http404):  # a plain member holds no grant: the partnership does not exist for them
        ps.activity_add(actor=world.users["member1"], partnership_id=p.pk, title="x", held_on=timezone.localdate())
    # Editing the goals may not drop one that activities serve.
    with pytest.raises(DomainError):
        ps.partnership_update(actor=sec, partnership_id=p.pk, partner_id=p.partner_id, title=p.title, goals=["只剩一项"],
                              signed_on=p.signed_on, starts_on=p.starts_on, ends_on=p.ends_on)  # fmt: skip
    goals = ps.goals_with_activities(p, list(ps.activity_list(sec, partnership=p)))
    assert [len(g["activities"]) for g in goals] == [0, 1]


def test_summary_draft_and_save(world):
    sec = world.users["secretary1"]
    p = partnership_make(sec, world.branch_a1)
    ps.activity_add(
        actor=sec, partnership_id=p.pk, title="联合党日", held_on=timezone.localdate(), participants=20, goal_index=1
    )
    ps.activity_add(actor=sec, partnership_id=p.pk, title="走访", held_on=timezone.localdate(), participants=5)
    draft = ps.summary_draft(p, timezone.localdate().year)
    assert "共开展共建活动 2 次" in draft and "累计参加 25 人次" in draft
    assert "尚未覆盖的目标：共同开展志愿服务" in draft and "联合主题党日：已开展活动 1 次" in draft
    ps.summary_save(actor=sec, partnership_id=p.pk, year=timezone.localdate().year, text=draft + "\n修改")
    ps.summary_save(actor=sec, partnership_id=p.pk, year=timezone.localdate().year, text="定稿")
    assert PartnershipSummary.objects.get(partnership=p, year=timezone.localdate().year).text == "定稿"
    assert AuditEvent.objects.filter(action__startswith="volunteering.summary.").count() == 2
    with pytest.raises(Http404):
        ps.summary_save(actor=sec, partnership_id=p.pk, year=timezone.localdate().year + 5, text="x")
    with pytest.raises(DomainError):
        ps.summary_save(actor=sec, partnership_id=p.pk, year=timezone.localdate().year, text=" ")
    with pytest.raises(Http404):
        ps.summary_save(actor=world.users["secretary2"], partnership_id=p.pk, year=timezone.localdate().year, text="x")


def test_kind_counts_per_subtree(world):
    sec1, sec2, admin = world.users["secretary1"], world.users["secretary2"], world.users["admin"]
    partnership_make(sec1, world.branch_a1, partner_make(sec1, world.branch_a1, "社区甲", "community"))
    partnership_make(sec1, world.branch_a1, partner_make(sec1, world.branch_a1, "企业乙", "enterprise"))
    partnership_make(sec2, world.branch_a2, partner_make(sec2, world.branch_a2, "社区丙", "community"))
    counts = {k: n for k, _, n in ps.kind_counts(admin, unit=world.college_a)}
    assert counts == {"community": 2, "enterprise": 1}
    assert {k: n for k, _, n in ps.kind_counts(sec1)} == {"community": 1, "enterprise": 1}
    with pytest.raises(Http404):
        ps.access_scope_unit(sec1, world.branch_a2.pk)
