"""Article workflow: one service per transition, who may do each, history, audit, conflicts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.news import articles as svc
from cloudbranch.news.choices import ArticleStatus, ReviewAction, Reviewer
from cloudbranch.news.models import Article, ArticleReview, NewsPolicy
from cloudbranch.news.tests.factories import article_draft, article_published, publicity_officer
from cloudbranch.notifications.models import Notification
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def set_policy(unit, reviewer, by):
    NewsPolicy.objects.update_or_create(unit=unit, defaults={"reviewer": reviewer, "updated_by": by})


def test_officer_writes_submits_secretary_approves(world):
    officer = publicity_officer(world.branch_a1)
    article = article_draft(world.branch_a1, officer)
    assert article.status == ArticleStatus.DRAFT and article.author == officer
    svc.article_submit(actor=officer, article_id=article.pk)
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED
    # The reviewers per policy ("either") are notified: the branch secretary, not the author nor the org admin.
    notified = set(Notification.objects.filter(category="news").values_list("recipient__username", flat=True))
    assert notified == {"secretary1"}

    svc.article_approve(actor=world.users["secretary1"], article_id=article.pk, comment="同意")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.published_at is not None
    assert list(ArticleReview.objects.filter(article=article).values_list("action", flat=True)) == [
        ReviewAction.SUBMIT,
        ReviewAction.APPROVE,
        ReviewAction.PUBLISH,
    ]
    actions = set(AuditEvent.objects.filter(target_id=str(article.pk)).values_list("action", flat=True))
    assert {"news.article.create", "news.article.submit", "news.article.approve"} <= actions


def test_author_never_approves_own_article(world):
    secretary = world.users["secretary1"]
    article = article_draft(world.branch_a1, secretary)
    svc.article_submit(actor=secretary, article_id=article.pk)
    with pytest.raises(PermissionDenied):
        svc.article_approve(actor=secretary, article_id=article.pk)
    # A publicity officer of the same branch may (policy "either").
    svc.article_approve(actor=publicity_officer(world.branch_a1), article_id=article.pk)


@pytest.mark.parametrize(
    ("reviewer", "officer_may", "secretary_may"),
    [
        (Reviewer.PUBLICITY_OR_SECRETARY, True, True),
        (Reviewer.SECRETARY, False, True),
        (Reviewer.PUBLICITY, True, False),
    ],
)
def test_policy_decides_who_approves(world, reviewer, officer_may, secretary_may):
    author = publicity_officer(world.branch_a1)
    officer = publicity_officer(world.branch_a1)
    set_policy(world.branch_a1, reviewer, world.users["admin"])
    for user, allowed in ((officer, officer_may), (world.users["secretary1"], secretary_may)):
        article = article_draft(world.branch_a1, author)
        svc.article_submit(actor=author, article_id=article.pk)
        assert svc.may_review(user, article) is allowed
        if allowed:
            svc.article_approve(actor=user, article_id=article.pk)
        else:
            with pytest.raises(PermissionDenied):
                svc.article_approve(actor=user, article_id=article.pk)
            with pytest.raises(PermissionDenied):
                svc.article_reject(actor=user, article_id=article.pk, comment="不行")
            assert Article.objects.get(pk=article.pk).status == ArticleStatus.SUBMITTED


def test_upper_unit_secretary_approves_but_org_admin_role_is_not_a_reviewer(world):
    college_secretary = UserFactory()
    grant(college_secretary, world.college_a, Role.COMMITTEE_SECRETARY)
    author = publicity_officer(world.branch_a1)
    article = article_draft(world.branch_a1, author)
    svc.article_submit(actor=author, article_id=article.pk)
    assert not svc.may_review(world.users["admin"], article)  # holds review_article, not the policy's role
    svc.article_approve(actor=college_secretary, article_id=article.pk)
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED


def test_sibling_secretary_404_and_member_404(world):
    author = publicity_officer(world.branch_a1)
    article = article_draft(world.branch_a1, author)
    svc.article_submit(actor=author, article_id=article.pk)
    for user in (world.users["secretary2"], world.users["member1"]):
        with pytest.raises(Http404):
            svc.article_approve(actor=user, article_id=article.pk)
        with pytest.raises(Http404):
            svc.article_update(actor=user, article_id=article.pk, data={"title": "改"})
    with pytest.raises(Http404):
        svc.article_create(actor=world.users["secretary2"], unit_id=world.branch_a1.pk, data={"title": "x"})
    with pytest.raises(Http404):
        svc.article_create(actor=world.users["member1"], unit_id=world.branch_a1.pk, data={"title": "x"})


def test_only_the_author_edits_and_submits(world):
    author = publicity_officer(world.branch_a1)
    article = article_draft(world.branch_a1, author)
    with pytest.raises(PermissionDenied):
        svc.article_update(actor=world.users["secretary1"], article_id=article.pk, data={"title": "改"})
    with pytest.raises(PermissionDenied):
        svc.article_submit(actor=world.users["secretary1"], article_id=article.pk)


def test_reject_needs_comment_then_author_edits_and_resubmits(world):
    author = publicity_officer(world.branch_a1)
    secretary = world.users["secretary1"]
    article = article_draft(world.branch_a1, author)
    svc.article_submit(actor=author, article_id=article.pk)
    with pytest.raises(DomainError) as exc:
        svc.article_reject(actor=secretary, article_id=article.pk, comment="  ")
    assert exc.value.errors[0]["field"] == "comment"
    svc.article_reject(actor=secretary, article_id=article.pk, comment="标题请写完整")
    article.refresh_from_db()
    assert article.status == ArticleStatus.REJECTED
    assert article.reviews.get(action=ReviewAction.REJECT).comment == "标题请写完整"
    assert Notification.objects.filter(recipient=author, title__startswith="已退回").exists()
    svc.article_update(actor=author, article_id=article.pk, data={"title": "关于开展十月主题党日活动的通知"})
    svc.article_submit(actor=author, article_id=article.pk)
    article.refresh_from_db()
    assert article.status == ArticleStatus.SUBMITTED and article.title.startswith("关于开展十月")


def test_illegal_transitions_conflict(world):
    author = publicity_officer(world.branch_a1)
    secretary = world.users["secretary1"]
    draft = article_draft(world.branch_a1, author)
    with pytest.raises(ConflictError):
        svc.article_approve(actor=secretary, article_id=draft.pk)
    with pytest.raises(ConflictError):
        svc.article_withdraw(actor=secretary, article_id=draft.pk, reason="x")
    with pytest.raises(ConflictError):
        svc.article_pin(actor=secretary, article_id=draft.pk, pinned=True)
    published = article_published(world.branch_a1, author, secretary)
    with pytest.raises(ConflictError):
        svc.article_submit(actor=author, article_id=published.pk)
    with pytest.raises(ConflictError):
        svc.article_update(actor=author, article_id=published.pk, data={"title": "改"})
    with pytest.raises(ConflictError):
        svc.article_approve(actor=secretary, article_id=published.pk)
    with pytest.raises(ConflictError):
        svc.article_reject(actor=secretary, article_id=published.pk, comment="x")


def test_withdraw_needs_reason_and_pin(world):
    author = publicity_officer(world.branch_a1)
    secretary = world.users["secretary1"]
    article = article_published(world.branch_a1, author, secretary)
    svc.article_pin(actor=secretary, article_id=article.pk, pinned=True)
    assert Article.objects.get(pk=article.pk).pinned
    with pytest.raises(PermissionDenied):
        svc.article_pin(actor=author, article_id=article.pk, pinned=False)  # the author is no reviewer of their own
    with pytest.raises(DomainError):
        svc.article_withdraw(actor=secretary, article_id=article.pk, reason="")
    svc.article_withdraw(actor=secretary, article_id=article.pk, reason="内容需要更新")
    article.refresh_from_db()
    assert article.status == ArticleStatus.WITHDRAWN and not article.pinned
    assert article.reviews.get(action=ReviewAction.WITHDRAW).comment == "内容需要更新"
    with pytest.raises(ConflictError):
        svc.article_withdraw(actor=secretary, article_id=article.pk, reason="再撤")
    assert AuditEvent.objects.filter(action="news.article.withdraw", target_id=str(article.pk)).count() == 1


def test_scheduled_publishing_is_idempotent(world):
    author = publicity_officer(world.branch_a1)
    secretary = world.users["secretary1"]
    when = timezone.now() + datetime.timedelta(hours=2)
    article = article_published(world.branch_a1, author, secretary, publish_at=when.isoformat())
    assert article.status == ArticleStatus.SCHEDULED and article.published_at is None
    assert svc.publish_due(timezone.now()) == 0
    assert not svc.article_list(world.users["member1"], svc.ArticleFilters()).filter(pk=article.pk).exists()
    later = when + datetime.timedelta(minutes=1)
    assert svc.publish_due(later) == 1
    assert svc.publish_due(later) == 0
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED and article.published_at == later
    publish = article.reviews.get(action=ReviewAction.PUBLISH)
    assert publish.actor == secretary
    assert AuditEvent.objects.filter(action="news.article.publish", target_id=str(article.pk)).count() == 1
    assert svc.article_list(world.users["member1"], svc.ArticleFilters()).filter(pk=article.pk).exists()


def test_scheduled_command(world):
    from django.core.management import call_command

    author = publicity_officer(world.branch_a1)
    article = article_published(
        world.branch_a1, author, world.users["secretary1"], publish_at=(timezone.now() + datetime.timedelta(hours=1))
    )
    Article.objects.filter(pk=article.pk).update(publish_at=timezone.now() - datetime.timedelta(minutes=1))
    call_command("publish_scheduled")
    call_command("publish_scheduled", "--reminders")
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED
    assert ArticleReview.objects.filter(article=article, action=ReviewAction.PUBLISH).count() == 1


def test_validation_of_disclosure_and_required_fields(world):
    author = publicity_officer(world.branch_a1)
    with pytest.raises(DomainError) as exc:
        svc.article_create(
            actor=author,
            unit_id=world.branch_a1.pk,
            data={"category": "disclosure", "title": "", "body": "<script>x</script>", "visibility": "nope"},
        )
    fields = {e["field"] for e in exc.value.errors}
    assert {"title", "body", "visibility", "disclosure_type", "disclosure_from", "disclosure_to"} <= fields
    assert not Article.objects.exists()
    ok = article_draft(
        world.branch_a1,
        author,
        category="disclosure",
        disclosure_type="dues",
        disclosure_from="2026-01-01",
        disclosure_to="2026-01-31",
    )
    assert ok.disclosure_type == "dues" and ok.disclosure_to == datetime.date(2026, 1, 31)


# --- pages ---------------------------------------------------------------------------------------


def test_pages_transition_and_status_codes(world, client):
    author = publicity_officer(world.branch_a1)
    article = article_draft(world.branch_a1, author)
    client.force_login(author)
    r = client.post(reverse("news:article_submit", args=[article.pk]))
    assert r.status_code == 302
    client.force_login(world.users["secretary2"])
    assert client.post(reverse("news:article_review", args=[article.pk]), {"decision": "approve"}).status_code == 404
    client.force_login(world.users["member1"])
    assert client.post(reverse("news:article_review", args=[article.pk]), {"decision": "approve"}).status_code == 404
    assert client.get(reverse("news:article", args=[article.pk])).status_code == 404
    client.force_login(author)
    assert client.post(reverse("news:article_review", args=[article.pk]), {"decision": "approve"}).status_code == 403
    client.force_login(world.users["secretary1"])
    r = client.post(reverse("news:article_review", args=[article.pk]), {"decision": "reject", "comment": ""})
    assert r.status_code == 422 and "必须填写意见" in r.content.decode()
    r = client.post(reverse("news:article_review", args=[article.pk]), {"decision": "approve"})
    assert r.status_code == 302
    r = client.post(reverse("news:article_review", args=[article.pk]), {"decision": "approve"})
    assert r.status_code == 409
    assert Article.objects.get(pk=article.pk).status == ArticleStatus.PUBLISHED


def test_create_and_edit_pages(world, client):
    author = publicity_officer(world.branch_a1)
    client.force_login(author)
    assert client.get(reverse("news:article_create")).status_code == 200
    data = {
        "unit": world.branch_a1.pk,
        "category": "news",
        "title": "支部开展志愿服务",
        "body": "<p>今天我们去了社区。</p>",
        "visibility": "subtree",
        "then": "save",
    }
    r = client.post(reverse("news:article_create"), {**data, "title": ""})
    assert r.status_code == 422 and not Article.objects.exists()
    r = client.post(reverse("news:article_create"), data)
    article = Article.objects.get()
    assert r.status_code == 302 and article.status == ArticleStatus.DRAFT
    assert client.get(reverse("news:article_edit", args=[article.pk])).status_code == 200
    r = client.post(
        reverse("news:article_edit", args=[article.pk]), {**data, "title": "支部开展社区志愿服务", "then": "submit"}
    )
    assert r.status_code == 302
    article.refresh_from_db()
    assert article.title == "支部开展社区志愿服务" and article.status == ArticleStatus.SUBMITTED
    client.force_login(world.users["secretary1"])
    assert client.get(reverse("news:article_edit", args=[article.pk])).status_code == 403
    r = client.get(reverse("news:manage") + "?status=review")
    assert r.status_code == 200 and "支部开展社区志愿服务" in r.content.decode()
    client.force_login(world.users["member1"])
    assert client.get(reverse("news:manage")).status_code == 403
    assert client.get(reverse("news:article_create")).status_code == 403


def test_policy_page(world, client):
    client.force_login(world.users["secretary1"])
    r = client.get(reverse("news:policy") + f"?unit={world.branch_a1.pk}")
    assert r.status_code == 200
    r = client.post(reverse("news:policy") + f"?unit={world.branch_a1.pk}", {"reviewer": "secretary"})
    assert r.status_code == 302
    assert NewsPolicy.objects.get(unit=world.branch_a1).reviewer == "secretary"
    assert AuditEvent.objects.filter(action="news.policy.update").exists()
    client.force_login(world.users["secretary2"])
    assert client.get(reverse("news:policy") + f"?unit={world.branch_a1.pk}").status_code == 404
    client.force_login(publicity_officer(world.branch_a1))
    assert client.get(reverse("news:policy")).status_code == 403
    client.force_login(world.users["member1"])
    assert client.get(reverse("news:policy")).status_code == 403
