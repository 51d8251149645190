"""Comment pages: the HTMX panel, add (422 on a reject word, 429 on the rate limit), delete and
report, the moderation queue and the sensitive-word page; permissions and pinned query counts."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.news import comments, wordfilter
from cloudbranch.news.choices import CommentStatus, WordAction
from cloudbranch.news.models import Comment, SensitiveWord
from cloudbranch.news.tests.factories import make_post, make_published_article, make_reader

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_filter():
    wordfilter.forget()
    yield
    wordfilter.forget()


@pytest.fixture
def article(world):
    return make_published_article(world.branch_a1, world.users["secretary1"])


def _panel_url(article):
    return f"{reverse('news:comments')}?article={article.pk}"


def _add_url(article):
    return f"{reverse('news:comment_add')}?article={article.pk}"


def test_include_loads_the_panel_by_htmx(world, article, rf):
    html = Template('{% include "news/_comments.html" with article=article %}').render(Context({"article": article}))
    assert f'hx-get="{_panel_url(article)}"' in html
    post = make_post(world.branch_a1, world.people["member1"])
    html = Template('{% include "news/_comments.html" with post=post %}').render(Context({"post": post}))
    assert f"?post={post.pk}" in html


def test_panel_lists_comments_escaped(world, article, login):
    comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="<script>alert(1)</script>好文")
    response = login(world.users["secretary1"]).get(_panel_url(article), **HX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;好文" in body
    assert "<script>alert(1)" not in body
    assert "评论审核" in body  # a moderator gets the link to the queue


def test_panel_is_404_for_who_may_not_read(world, article, login):
    client = login(world.users["secretary2"])
    assert client.get(_panel_url(article), **HX).status_code == 404
    assert client.post(_add_url(article), {"body": "好"}, **HX).status_code == 404
    assert client.get(reverse("news:comments") + "?article=abc").status_code == 404


def test_add_by_htmx_visible_held_and_rejected(world, article, login):
    admin = world.users["admin"]
    comments.word_add(actor=admin, word="敏感", action=WordAction.HOLD)
    comments.word_add(actor=admin, word="违禁", action=WordAction.REJECT)
    client = login(world.users["member1"])

    response = client.post(_add_url(article), {"body": "认真学习"}, **HX)
    assert response.status_code == 200 and "评论已发表" in response.content.decode()

    response = client.post(_add_url(article), {"body": "有点 敏-感"}, **HX)
    assert response.status_code == 200
    text = response.content.decode()
    assert "审核通过后将对他人显示" in text and "待审核" in text

    response = client.post(_add_url(article), {"body": "违．禁内容"}, **HX)
    assert response.status_code == 422
    text = response.content.decode()
    assert "不允许发布的词语" in text and "违．禁内容" in text  # the text is kept in the form
    assert "违禁<" not in text
    assert Comment.objects.count() == 2

    other = login(make_reader(world.branch_a1)).get(_panel_url(article), **HX).content.decode()
    assert "认真学习" in other and "敏-感" not in other


def test_add_without_htmx_redirects(world, article, login):
    client = login(world.users["member1"])
    response = client.post(_add_url(article), {"body": "好", "next": "/news/"})
    assert response.status_code == 302 and response["Location"] == "/news/"
    response = client.post(_add_url(article), {"body": "", "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_rate_limit_answers_429(world, article, login):
    client = login(world.users["member1"])
    for i in range(10):
        assert client.post(_add_url(article), {"body": f"评论{i}"}, **HX).status_code == 200
    response = client.post(_add_url(article), {"body": "第十一条"}, **HX)
    assert response.status_code == 429
    assert "每分钟最多 10 条" in response.content.decode()


def test_delete_own_and_report_by_htmx(world, article, login):
    c = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="评论")
    other = make_reader(world.branch_a1)
    response = login(other).post(reverse("news:comment_report", args=[c.pk]), {"reason": "不妥"}, **HX)
    assert response.status_code == 200 and "举报已提交" in response.content.decode()
    response = login(other).post(reverse("news:comment_report", args=[c.pk]), {"reason": "不妥"}, **HX)
    assert response.status_code == 409
    assert login(other).post(reverse("news:comment_delete", args=[c.pk]), **HX).status_code == 403
    response = login(world.users["member1"]).post(reverse("news:comment_delete", args=[c.pk]), **HX)
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.status == CommentStatus.DELETED


def _fill(article, n, *, held=True):
    authors = [make_reader(article.unit) for _ in range(3)]
    Comment.objects.bulk_create(
        Comment(
            article=article,
            author=authors[i % 3],
            body=f"评论{i}",
            status=CommentStatus.HELD if held and i % 2 else CommentStatus.VISIBLE,
            report_count=0 if i % 2 else 1,
        )
        for i in range(n)
    )
    return authors


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **HX)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_panel_query_count_is_constant(world, article, login):
    client = login(world.users["member1"])
    _fill(article, 3)
    few = _count(client, _panel_url(article))
    _fill(article, 40)
    many = _count(client, _panel_url(article))
    # session, user, article, grants, reader's person, count, page of comments (authors joined)
    assert few == many == 7


def test_moderation_queue_page(world, article, login):
    a2_article = make_published_article(world.branch_a2, world.users["secretary2"])
    _fill(article, 4)
    _fill(a2_article, 4)
    response = login(world.users["secretary1"]).get(reverse("news:moderation"))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('id="queue-') == 4  # 2 held + 2 reported of a1 only
    response = login(world.users["secretary1"]).get(reverse("news:moderation") + "?status=held", **HX)
    assert response.content.decode().count('id="queue-') == 2
    assert "<html" not in response.content.decode()
    assert login(world.users["member1"]).get(reverse("news:moderation")).status_code == 403
    assert login(world.users["sysadmin"]).get(reverse("news:moderation")).status_code == 403


def test_moderation_queue_query_count_is_constant(world, article, login):
    client = login(world.users["secretary1"])
    _fill(article, 4)
    c = Comment.objects.filter(status=CommentStatus.VISIBLE).first()
    comments.comment_report(actor=make_reader(world.branch_a1), comment_id=c.pk, reason="不妥")
    few = _count(client, reverse("news:moderation"))
    _fill(article, 40)
    for c in Comment.objects.filter(status=CommentStatus.VISIBLE)[:5]:
        comments.comment_report(actor=make_reader(world.branch_a1), comment_id=c.pk, reason="不妥")
    many = _count(client, reverse("news:moderation"))
    # session, user, grants, count, page of comments (author, article/post and units joined), reports
    assert few == many == 6


def test_moderate_by_htmx_and_permissions(world, article, login):
    c = Comment.objects.create(article=article, author=world.users["member1"], body="x", status=CommentStatus.HELD)
    url = reverse("news:moderate", args=[c.pk])
    assert login(world.users["secretary2"]).post(url, {"decision": "approve"}, **HX).status_code == 404
    assert login(world.users["member1"]).post(url, {"decision": "approve"}, **HX).status_code == 403
    response = login(world.users["secretary1"]).post(url, {"decision": "delete"}, **HX)
    assert response.status_code == 422 and "删除理由" in response.content.decode()
    response = login(world.users["secretary1"]).post(url, {"decision": "approve"}, **HX)
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.status == CommentStatus.VISIBLE
    response = login(world.users["secretary1"]).post(url, {"decision": "approve"})
    assert response.status_code == 302  # 409 shown as a message on the queue page


def test_words_page(world, login):
    admin = login(world.users["admin"])
    assert admin.get(reverse("news:words")).status_code == 200
    response = admin.post(reverse("news:word_add"), {"word": "敏感", "action": "reject"})
    assert response.status_code == 302
    row = SensitiveWord.objects.get()
    assert (row.word, row.action) == ("敏感", "reject")
    response = admin.post(reverse("news:word_add"), {"word": "敏 感", "action": "hold"})
    assert response.status_code == 409 and "已在列表中" in response.content.decode()
    admin.post(reverse("news:word_update", args=[row.pk]), {"action": "hold"})
    row.refresh_from_db()
    assert row.action == "hold"
    response = admin.post(reverse("news:words_import"), {"lines": "甲\n乙|reject\n丙|ban"})
    assert response.status_code == 422 and "第 3 行" in response.content.decode()
    admin.post(reverse("news:words_import"), {"lines": "甲\n乙|reject"})
    assert admin.get(reverse("news:words") + "?q=乙").content.decode().count("直接拒绝") >= 1
    admin.post(reverse("news:word_remove", args=[row.pk]))
    assert set(SensitiveWord.objects.values_list("word", flat=True)) == {"甲", "乙"}
    for name in ("secretary1", "member1", "sysadmin"):
        client = login(world.users[name])
        assert client.get(reverse("news:words")).status_code == 403
        assert client.post(reverse("news:word_add"), {"word": "x"}).status_code == 403
