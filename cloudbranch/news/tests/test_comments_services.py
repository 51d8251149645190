"""Comment services: who comments where, the filter (reject / hold), the unit's hold policy, the
rate limit, reports, moderation and deletion, Post.comment_count, the word list."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.news import comments, wordfilter
from cloudbranch.news.choices import CommentStatus, Visibility, WordAction
from cloudbranch.news.models import Comment, CommentReport, NewsPolicy, SensitiveWord
from cloudbranch.news.tests.factories import make_post, make_published_article, make_reader
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import grant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_filter():
    wordfilter.forget()  # ids and times repeat across rolled-back tests
    yield
    wordfilter.forget()


@pytest.fixture
def article(world):
    return make_published_article(world.branch_a1, world.users["secretary1"])


@pytest.fixture
def post(world):
    return make_post(world.branch_a1, world.people["member1"])


@pytest.fixture
def words(world):
    admin = world.users["admin"]
    comments.word_add(actor=admin, word="敏感", action=WordAction.HOLD)
    comments.word_add(actor=admin, word="违禁", action=WordAction.REJECT)


def _audits(action):
    return AuditEvent.objects.filter(action=action)


def test_member_comments_an_article_visible_and_audited(world, article):
    member = world.users["member1"]
    c = comments.comment_add(actor=member, article_id=article.pk, body="  学习了，受益匪浅。\r\n第二行  ")
    assert c.status == CommentStatus.VISIBLE
    assert c.body == "学习了，受益匪浅。\n第二行"
    assert list(comments.comment_list(world.users["secretary1"], article)) == [c]
    assert _audits("news.comment.create").filter(target_id=str(c.pk), actor=member).exists()


def test_who_may_not_read_may_not_comment(world, article):
    outsider = make_reader(world.branch_a2)  # sibling branch, subtree article of a1
    with pytest.raises(Http404):
        comments.comment_add(actor=outsider, article_id=article.pk, body="看看")
    with pytest.raises(Http404):
        comments.comment_add(actor=world.users["sysadmin"], article_id=article.pk, body="看看")
    draft = make_published_article(world.branch_a1, world.users["secretary1"], status="draft")
    with pytest.raises(Http404):
        comments.comment_add(actor=world.users["member1"], article_id=draft.pk, body="看看")
    school = make_published_article(world.branch_a1, world.users["secretary1"], visibility=Visibility.SCHOOL)
    assert comments.comment_add(actor=outsider, article_id=school.pk, body="好").status == CommentStatus.VISIBLE
    assert not Comment.objects.filter(article=article).exists()


def test_body_rules(world, article):
    member = world.users["member1"]
    with pytest.raises(DomainError) as empty:
        comments.comment_add(actor=member, article_id=article.pk, body="   ")
    assert empty.value.errors[0]["field"] == "body"
    with pytest.raises(DomainError, match="1000"):
        comments.comment_add(actor=member, article_id=article.pk, body="字" * 1001)
    assert comments.comment_add(actor=member, article_id=article.pk, body="字" * 1000)


def test_reject_word_refuses_without_naming_it(world, article, words):
    with pytest.raises(DomainError) as exc:
        comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="这里有违 禁内容")
    assert exc.value.status == 422
    assert "不允许" in exc.value.message and "违禁" not in exc.value.message
    assert all("违禁" not in e["message"] for e in exc.value.errors)
    assert not Comment.objects.exists()


def test_hold_word_holds_and_only_the_author_sees_it(world, article, words):
    member = world.users["member1"]
    c = comments.comment_add(actor=member, article_id=article.pk, body="有点ＭＧ敏＊感")
    assert c.status == CommentStatus.HELD and c.matched_words == ["敏感"]
    assert list(comments.comment_list(member, article)) == [c]
    other = make_reader(world.branch_a1)
    assert list(comments.comment_list(other, article)) == []
    assert list(comments.comment_list(world.users["secretary1"], article)) == []
    assert list(comments.moderation_queue(world.users["secretary1"])) == [c]


def test_unit_policy_holds_every_comment(world, article):
    NewsPolicy.objects.create(unit=world.branch_a1, hold_comments=True, updated_by=world.users["secretary1"])
    c = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="普通评论")
    assert c.status == CommentStatus.HELD
    assert _audits("news.comment.create").get(target_id=str(c.pk)).changes["held_by"]["new"] == "policy"


def test_rate_limit_ten_per_minute(world, article):
    member = world.users["member1"]
    for i in range(10):
        comments.comment_add(actor=member, article_id=article.pk, body=f"第{i}条")
    with pytest.raises(comments.RateLimited) as exc:
        comments.comment_add(actor=member, article_id=article.pk, body="第11条")
    assert exc.value.status == 429
    assert Comment.objects.count() == 10
    # another user is not limited by the first one
    assert comments.comment_add(actor=make_reader(world.branch_a1), article_id=article.pk, body="我也来")


def test_post_comment_count_follows_visible_comments(world, post, words):
    member, secretary = world.users["member1"], world.users["secretary1"]
    c1 = comments.comment_add(actor=member, post_id=post.pk, body="点赞")
    held = comments.comment_add(actor=member, post_id=post.pk, body="敏感")
    post.refresh_from_db()
    assert post.comment_count == 1
    comments.comment_moderate(actor=secretary, comment_id=held.pk, decision="approve")
    post.refresh_from_db()
    assert post.comment_count == 2
    comments.comment_delete(actor=member, comment_id=c1.pk)
    post.refresh_from_db()
    assert post.comment_count == 1


def test_hidden_post_takes_no_comments(world, post):
    post.hidden = True
    post.save()
    with pytest.raises(ConflictError):
        comments.comment_add(actor=world.users["member1"], post_id=post.pk, body="评论")


def test_post_comments_need_the_feed_rule(world, post):
    # the feed is seen across the school (news.feed.may_see_post); a platform duty holder sees nothing
    assert comments.comment_add(actor=make_reader(world.branch_b1), post_id=post.pk, body="赞")
    with pytest.raises(Http404):
        comments.comment_add(actor=world.users["auditor"], post_id=post.pk, body="赞")


# --- reports ---------------------------------------------------------------------------------------


def test_reports_once_per_user_and_third_report_holds(world, post):
    c = comments.comment_add(actor=world.users["member1"], post_id=post.pk, body="引战言论")
    r1, r2, r3 = (make_reader(world.branch_a1) for _ in range(3))
    comments.comment_report(actor=r1, comment_id=c.pk, reason="引战")
    with pytest.raises(ConflictError):
        comments.comment_report(actor=r1, comment_id=c.pk, reason="再举报")
    comments.comment_report(actor=r2, comment_id=c.pk, reason="不文明")
    c.refresh_from_db()
    assert (c.status, c.report_count) == (CommentStatus.VISIBLE, 2)
    comments.comment_report(actor=r3, comment_id=c.pk, reason="人身攻击")
    c.refresh_from_db()
    assert (c.status, c.report_count) == (CommentStatus.HELD, 3)
    assert CommentReport.objects.filter(comment=c).count() == 3
    assert _audits("news.comment.auto_hold").filter(target_id=str(c.pk)).exists()
    post.refresh_from_db()
    assert post.comment_count == 0
    # held: no longer visible to others, so no longer reportable
    with pytest.raises(Http404):
        comments.comment_report(actor=make_reader(world.branch_a1), comment_id=c.pk, reason="x")


def test_report_rules(world, article):
    member = world.users["member1"]
    c = comments.comment_add(actor=member, article_id=article.pk, body="评论")
    with pytest.raises(DomainError, match="自己"):
        comments.comment_report(actor=member, comment_id=c.pk, reason="x")
    with pytest.raises(DomainError, match="举报理由"):
        comments.comment_report(actor=make_reader(world.branch_a1), comment_id=c.pk, reason=" ")
    with pytest.raises(Http404):  # cannot see the article
        comments.comment_report(actor=make_reader(world.branch_a2), comment_id=c.pk, reason="x")


# --- moderation --------------------------------------------------------------------------------


def test_moderation_queue_has_held_and_reported_in_scope(world, article, words):
    held = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="敏感话题")
    reported = comments.comment_add(actor=make_reader(world.branch_a1), article_id=article.pk, body="普通")
    comments.comment_report(actor=world.users["member1"], comment_id=reported.pk, reason="不妥")
    comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="正常评论")
    secretary1 = world.users["secretary1"]
    assert list(comments.moderation_queue(secretary1)) == [held, reported]
    assert list(comments.moderation_queue(secretary1, status="held")) == [held]
    assert list(comments.moderation_queue(secretary1, status="reported")) == [reported]
    assert list(comments.moderation_queue(world.users["admin"])) == [held, reported]
    assert list(comments.moderation_queue(world.users["secretary2"])) == []
    with pytest.raises(PermissionDenied):
        comments.moderation_queue(world.users["member1"])


def test_approve_reject_delete(world, article, words):
    secretary = world.users["secretary1"]
    member = world.users["member1"]
    c = comments.comment_add(actor=member, article_id=article.pk, body="敏感")
    comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="approve", note="无问题")
    c.refresh_from_db()
    assert (c.status, c.moderated_by, c.moderation_note) == (CommentStatus.VISIBLE, secretary, "无问题")
    with pytest.raises(ConflictError):  # visible without reports: nothing to approve
        comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="approve")
    comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="reject")
    c.refresh_from_db()
    assert c.status == CommentStatus.REJECTED
    with pytest.raises(DomainError, match="删除理由"):
        comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="delete")
    comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="delete", note="违反规范")
    c.refresh_from_db()
    assert (c.status, c.moderation_note) == (CommentStatus.DELETED, "违反规范")  # the row stays
    with pytest.raises(ConflictError):
        comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="approve")
    with pytest.raises(DomainError):
        comments.comment_moderate(actor=secretary, comment_id=c.pk, decision="maybe")
    actions = list(_audits("news.comment.approve").values_list("target_id", flat=True))
    assert actions == [str(c.pk)]
    assert _audits("news.comment.reject").count() == 1
    assert _audits("news.comment.delete").get().changes["note"]["new"] == "违反规范"


def test_approving_a_reported_comment_clears_its_reports(world, article):
    c = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="评论")
    comments.comment_report(actor=make_reader(world.branch_a1), comment_id=c.pk, reason="不妥")
    comments.comment_moderate(actor=world.users["secretary1"], comment_id=c.pk, decision="approve")
    c.refresh_from_db()
    assert (c.status, c.report_count) == (CommentStatus.VISIBLE, 0)
    assert list(comments.moderation_queue(world.users["secretary1"])) == []
    assert CommentReport.objects.filter(comment=c).count() == 1  # history kept


def test_moderation_permissions(world, article, words):
    c = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="敏感")
    with pytest.raises(Http404):  # sibling branch's secretary: not even visible
        comments.comment_moderate(actor=world.users["secretary2"], comment_id=c.pk, decision="approve")
    with pytest.raises(PermissionDenied):  # moderates nowhere
        comments.comment_moderate(actor=world.users["member1"], comment_id=c.pk, decision="approve")
    school = make_published_article(world.branch_a1, world.users["secretary1"], visibility=Visibility.SCHOOL)
    visible = comments.comment_add(actor=world.users["member1"], article_id=school.pk, body="大家好")
    officer_a2 = make_reader(world.branch_a2)
    grant(officer_a2, world.branch_a2, Role.PUBLICITY_OFFICER)
    with pytest.raises(PermissionDenied):  # a2's officer reads it, but a1 is not his unit
        comments.comment_moderate(actor=officer_a2, comment_id=visible.pk, decision="reject")
    c.refresh_from_db()
    assert c.status == CommentStatus.HELD


def test_author_deletes_own_comment_others_may_not(world, article, words):
    member = world.users["member1"]
    c = comments.comment_add(actor=member, article_id=article.pk, body="说错了")
    other = make_reader(world.branch_a1)
    with pytest.raises(PermissionDenied):
        comments.comment_delete(actor=other, comment_id=c.pk)
    comments.comment_delete(actor=member, comment_id=c.pk)
    c.refresh_from_db()
    assert c.status == CommentStatus.DELETED
    assert _audits("news.comment.delete_own").filter(target_id=str(c.pk), actor=member).exists()
    assert list(comments.comment_list(member, article)) == []
    held = comments.comment_add(actor=member, article_id=article.pk, body="敏感")
    comments.comment_delete(actor=member, comment_id=held.pk)  # own held comment too
    with pytest.raises(Http404):
        comments.comment_delete(actor=member, comment_id=held.pk)  # deleted: gone for the author


def test_moderator_deletes_with_reason_from_the_page(world, article):
    c = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="广告")
    with pytest.raises(DomainError, match="删除理由"):
        comments.comment_delete(actor=world.users["secretary1"], comment_id=c.pk)
    comments.comment_delete(actor=world.users["secretary1"], comment_id=c.pk, reason="广告")
    c.refresh_from_db()
    assert c.status == CommentStatus.DELETED


# --- the word list -------------------------------------------------------------------------------


def test_word_list_admin_only_normalized_and_audited(world):
    admin = world.users["admin"]
    for user in (world.users["secretary1"], world.users["member1"], world.users["sysadmin"]):
        with pytest.raises(PermissionDenied):
            comments.word_add(actor=user, word="词", action=WordAction.HOLD)
        with pytest.raises(PermissionDenied):
            comments.word_list(user)
    row = comments.word_add(actor=admin, word=" ＡＢ　Ｃ ", action=WordAction.HOLD)
    assert row.word == "abc"
    with pytest.raises(ConflictError):
        comments.word_add(actor=admin, word="a b c", action=WordAction.REJECT)
    with pytest.raises(DomainError):
        comments.word_add(actor=admin, word="!!!", action=WordAction.HOLD)
    with pytest.raises(DomainError):
        comments.word_add(actor=admin, word="词", action="ban")
    comments.word_update(actor=admin, word_id=row.pk, action=WordAction.REJECT)
    assert list(comments.word_list(admin, q="Ａb")) == [row]
    comments.word_remove(actor=admin, word_id=row.pk)
    assert not SensitiveWord.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="news.sensitiveword").order_by("id")] == [
        "news.sensitiveword.create",
        "news.sensitiveword.update",
        "news.sensitiveword.delete",
    ]


def test_words_import_and_filter_follows(world, article):
    admin = world.users["admin"]
    comments.word_add(actor=admin, word="旧词", action=WordAction.HOLD)
    result = comments.words_import(actor=admin, lines=["# 注释", "", "新词", "旧词|reject", "另一个 | REJECT"])
    assert result == {"created": 2, "updated": 1, "unchanged": 0}
    assert dict(SensitiveWord.objects.values_list("word", "action")) == {
        "旧词": "reject",
        "新词": "hold",
        "另一个": "reject",
    }
    with pytest.raises(DomainError) as exc:
        comments.words_import(actor=admin, lines=["好词", "坏|ban"])
    assert exc.value.errors == [{"row": 2, "message": "请选择处理方式。"}]
    assert not SensitiveWord.objects.filter(word="好词").exists()
    with pytest.raises(DomainError):
        comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="旧 词")


def test_import_command(world, tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("\ufeff甲词\n乙词|reject\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_sensitive_words", str(path), "--user", "admin", stdout=out)
    assert "新增 2 个" in out.getvalue()
    assert dict(SensitiveWord.objects.values_list("word", "action")) == {"甲词": "hold", "乙词": "reject"}
    with pytest.raises(CommandError, match="权限"):
        call_command("import_sensitive_words", str(path), "--user", "member1")
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_sensitive_words", str(path), "--user", "nobody")


def test_no_default_word_list_is_shipped(db):
    assert not SensitiveWord.objects.exists()
