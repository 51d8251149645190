"""The communication demo (issue 8 item 8): articles with their review history and read receipts,
feed posts with photos, likes and comments, message threads and the post points, at a small scale."""

import datetime
from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings

from cloudbranch.audit.models import AuditEvent
from cloudbranch.demo import news_demo, seeding
from cloudbranch.demo.generator import ScaleParams
from cloudbranch.news.choices import ArticleStatus, CommentStatus, MessageStatus, ReviewAction, Visibility
from cloudbranch.news.models import (
    Article,
    ArticleReview,
    Comment,
    Message,
    MessageReply,
    NewsPolicy,
    Post,
    PostLike,
    PostPhoto,
    ReadReceipt,
)
from cloudbranch.news.visibility import audience_q
from cloudbranch.people.models import Person
from cloudbranch.points.models import PointEvent, PointTally

from .parts import keep_only

PARAMS = ScaleParams(universities=1, colleges=3, branches=12, people=500)
TODAY = datetime.date(2026, 11, 26)
allow_accounts = override_settings(DEBUG=True, DEMO_PASSWORD="demo12345")
MODELS = (Article, ArticleReview, ReadReceipt, Post, PostPhoto, PostLike, Comment, Message, MessageReply, PointEvent)


def _skip_others(m):
    """Dues, development and learning are tested elsewhere; the meetings stay (posts tell about them)."""
    keep_only(m, "life", "news")


@pytest.fixture(scope="module")
def _media(tmp_path_factory):
    return tmp_path_factory.mktemp("news-media")


@pytest.fixture(autouse=True)
def _only_news(monkeypatch, settings, _media):
    _skip_others(monkeypatch)
    settings.MEDIA_ROOT = _media


def seed(params=PARAMS, **kwargs):
    with allow_accounts:
        return seeding.seed(scale="demo", seed=kwargs.pop("seed", 1), params=params, today=TODAY, **kwargs)


def counts() -> dict:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture(scope="class")
def _seeded_once(django_db_setup, django_db_blocker, _media):
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as m, override_settings(MEDIA_ROOT=_media):
        _skip_others(m)
        with transaction.atomic():
            yield seed()
            transaction.set_rollback(True)


@pytest.fixture
def seeded(_seeded_once, db):
    assert _seeded_once.created and _seeded_once.news and not _seeded_once.news_skipped
    return _seeded_once


def now():
    return seeding._life_now(TODAY)


class TestOneSeed:
    def test_counts_and_the_summary(self, seeded):
        c = seeded.news
        assert c["articles"] == Article.objects.count() >= 20
        assert c["posts"] == Post.objects.count() > 0
        assert c["messages"] == Message.objects.count() >= 25
        assert c["photo_files"] == 12 and c["photos"] == PostPhoto.objects.count()
        assert AuditEvent.objects.get(action=news_demo.NEWS_ACTION).changes["articles"] == c["articles"]
        policy = NewsPolicy.objects.get(unit=seeded.root)
        assert policy.public_board and policy.updated_by.username == "admin"
        units = seeding.demo_units(seeded.root, province=False)
        published = Article.objects.filter(status=ArticleStatus.PUBLISHED)
        assert published.filter(unit=seeded.root, visibility=Visibility.PUBLIC).exists()
        assert published.filter(unit=seeded.root, visibility=Visibility.SCHOOL).exists()
        assert published.filter(unit=units["college"], visibility=Visibility.SUBTREE).exists()
        assert published.filter(unit=units["branch1"], visibility=Visibility.MEMBERS).exists()
        assert published.filter(pinned=True).count() >= 3
        disclosures = published.filter(category="disclosure")
        assert {"development", "dues", "awards"} <= set(disclosures.values_list("disclosure_type", flat=True))
        assert not disclosures.filter(disclosure_from__isnull=True).exists()
        assert all(d.disclosure_from <= d.disclosure_to for d in disclosures)
        assert not published.filter(published_at__gt=now()).exists()
        assert not Article.objects.filter(search_text="").exists()
        # Every feed post of the demo college's branches; some tell about a held meeting of their unit.
        for post in Post.objects.filter(meeting__isnull=False).select_related("meeting"):
            assert post.meeting.unit_id == post.unit_id and post.meeting.ends_at <= post.created_at <= now()
        assert Post.objects.filter(meeting__isnull=False).exists()
        assert Post.objects.filter(unit=units["branch1"]).count() >= 2
        assert not Post.objects.filter(created_at__gt=now()).exists()

    def test_workflow_consistency(self, seeded):
        reviews = {}
        for r in ArticleReview.objects.order_by("at", "id"):
            reviews.setdefault(r.article_id, []).append(r)
        for article in Article.objects.all():
            steps = reviews[article.pk]
            assert steps[0].action == ReviewAction.SUBMIT and steps[0].actor_id == article.author_id
            assert steps[0].at >= article.created_at
            if article.status == ArticleStatus.PUBLISHED:
                assert [s.action for s in steps] == [ReviewAction.SUBMIT, ReviewAction.APPROVE]
                assert steps[1].at == article.published_at
            elif article.status == ArticleStatus.REJECTED:
                assert steps[-1].action == ReviewAction.REJECT and steps[-1].comment
            else:
                assert article.status == ArticleStatus.SUBMITTED and len(steps) == 1 and not article.published_at
        branch1 = seeding.demo_units(seeded.root, province=False)["branch1"]
        assert Article.objects.filter(unit=branch1, status=ArticleStatus.SUBMITTED).count() == 1
        assert Article.objects.filter(unit=branch1, status=ArticleStatus.REJECTED).count() == 1

    def test_read_receipts_only_for_the_audience(self, seeded):
        notices = Article.objects.filter(requires_reading=True).select_related("unit")
        assert notices.count() == 2
        closed = notices.get(read_deadline__lt=TODAY)
        open_ = notices.get(read_deadline__gt=TODAY)
        assert open_.read_deadline <= TODAY + datetime.timedelta(days=7)
        assert f"{open_.read_deadline.month}月{open_.read_deadline.day}日" in open_.body
        for notice in notices:
            audience = set(Person.objects.filter(audience_q(notice)).values_list("id", flat=True))
            read = list(ReadReceipt.objects.filter(article=notice).values_list("person_id", "read_at"))
            assert {p for p, _ in read} <= audience
            assert all(notice.published_at < at <= now() for _, at in read)
            rate = len(read) / len(audience)
            if notice == closed:
                assert rate > 0.85
                deadline = datetime.datetime.combine(notice.read_deadline, datetime.time(23, 59), tzinfo=now().tzinfo)
                assert all(at <= deadline for _, at in read)
            else:
                assert 0.45 < rate < 0.75
        member1 = Person.objects.get(user__username="member1")
        assert open_.visibility == Visibility.MEMBERS and open_.unit_id == member1.unit_id
        assert not ReadReceipt.objects.filter(article=open_, person=member1).exists()

    def test_feed_likes_photos_and_comments(self, seeded):
        from django.core.files.storage import default_storage

        posts = Post.objects.annotate(n_likes=Count("likes", distinct=True), n_photos=Count("photos", distinct=True))
        for post in posts:
            assert post.like_count == post.n_likes
            assert 1 <= post.n_photos <= 9
        for post in Post.objects.all():
            visible = Comment.objects.filter(post=post, status=CommentStatus.VISIBLE).count()
            assert post.comment_count == visible
        names = set(PostPhoto.objects.values_list("image", flat=True))
        assert len(names) == 12 and PostPhoto.objects.count() > len(names)  # files shared by several rows
        for name in names:
            assert default_storage.exists(name) and 15_000 < default_storage.size(name) < 80_000
        # Likes come from the branch's own people, after the post.
        unit_of = dict(Person.objects.values_list("id", "unit_id"))
        for like in PostLike.objects.select_related("post")[:500]:
            assert unit_of[like.person_id] == like.post.unit_id and like.created_at >= like.post.created_at
        held = Comment.objects.get(status=CommentStatus.HELD)
        assert held.matched_words and held.post_id
        assert Comment.objects.filter(status=CommentStatus.VISIBLE, post__isnull=False).exists()
        assert Comment.objects.filter(article__isnull=False).exists()

    def test_board(self, seeded):
        messages = Message.objects.prefetch_related("replies")
        assert {m.status for m in messages} == set(MessageStatus.values)
        assert Message.objects.filter(pinned=True, unit=seeded.root).count() == 2
        assert Message.objects.filter(public=False).exists()
        for m in messages:
            replies = list(m.replies.all())
            if m.status == MessageStatus.OPEN:
                assert not replies and m.answered_at is None
            else:
                assert replies and m.answered_at == replies[0].created_at > m.created_at
                assert datetime.timedelta(hours=1) < m.answered_at - m.created_at < datetime.timedelta(days=7)
            if m.status == MessageStatus.CLOSED:
                assert m.closed_at and m.closed_at > m.answered_at
            if m.anonymous:
                assert m.author_id is not None
            if m.author_id is None:
                assert m.visitor_name and m.ip_hash and m.unit_id == seeded.root.pk and not m.anonymous
            assert m.created_at <= now()
        assert Message.objects.filter(anonymous=True).exists() and Message.objects.filter(author__isnull=True).exists()
        assert Message.objects.exclude(unit=seeded.root).exists()

    def test_post_points_and_tallies(self, seeded):
        events = PointEvent.objects.filter(action="post")
        posts = set(Post.objects.values_list("author_id", "id"))
        paid = {(p, int(s)) for p, s in events.values_list("person_id", "source_id")}
        assert paid and paid <= posts
        for row in events.values("person", "day").annotate(n=Count("id")):
            assert row["n"] <= 2  # the daily cap of the "post" rule
        expected: Counter = Counter()
        for person, day, points in PointEvent.objects.values_list("person_id", "day", "points"):
            expected[(person, "week", day - datetime.timedelta(days=day.weekday()))] += points
            expected[(person, "month", day.replace(day=1))] += points
            expected[(person, "year", day.replace(month=1, day=1))] += points
        stored = {
            (p, period, s): pts
            for p, period, s, pts in PointTally.objects.values_list("person_id", "period", "start", "points")
        }
        assert stored == dict(expected)

    def test_idempotent(self, seeded):
        before = counts()
        again = seed()
        assert not again.created and again.news is None
        assert counts() == before
        assert AuditEvent.objects.filter(action=news_demo.NEWS_ACTION).count() == 1


@pytest.mark.django_db
def test_a_database_seeded_before_news_gets_it_once(monkeypatch):
    small = ScaleParams(universities=1, colleges=2, branches=6, people=300)
    with monkeypatch.context() as m:
        m.setattr(seeding, "_seed_news", lambda root, **kw: (None, False))
        assert seed(small).created
    assert not Article.objects.exists() and not Post.objects.exists()
    result = seed(small, seed=9)  # the stored seed (1) wins
    assert not result.created and result.news["articles"] == Article.objects.count() > 0
    assert AuditEvent.objects.get(action=news_demo.NEWS_ACTION).changes["seed"] == 1
    before = counts()
    assert seed(small).news is None and counts() == before


@pytest.mark.django_db
def test_without_an_administrator_account_news_waits():
    small = ScaleParams(universities=1, colleges=2, branches=6, people=300)
    with override_settings(DEBUG=False, DEMO_ALLOW_WITHOUT_DEBUG=False):
        result = seeding.seed(scale="demo", seed=1, params=small, today=TODAY)
    assert result.news_skipped and not Article.objects.exists()
    assert seed(small).news and Article.objects.exists()
