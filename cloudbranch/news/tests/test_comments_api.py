"""/api/news comments, moderation and sensitive words, through the same services as the pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudbranch.news import comments, wordfilter
from cloudbranch.news.choices import CommentStatus, WordAction
from cloudbranch.news.models import Comment, SensitiveWord
from cloudbranch.news.tests.factories import make_post, make_published_article, make_reader

pytestmark = pytest.mark.django_db

API = "/api/news"


@pytest.fixture(autouse=True)
def _fresh_filter():
    wordfilter.forget()
    yield
    wordfilter.forget()


@pytest.fixture
def article(world):
    return make_published_article(world.branch_a1, world.users["secretary1"])


def test_add_list_and_filter(world, article, login):
    admin = world.users["admin"]
    comments.word_add(actor=admin, word="敏感", action=WordAction.HOLD)
    comments.word_add(actor=admin, word="违禁", action=WordAction.REJECT)
    client = login(world.users["member1"])
    response = client.post(
        f"{API}/comments", {"article_id": article.pk, "body": "好文章"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "visible" and response.json()["author_name"] == "党员一"
    response = client.post(
        f"{API}/comments", {"article_id": article.pk, "body": "ＭＧ 敏 感"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["status_label"] == "待审核"
    response = client.post(
        f"{API}/comments", {"article_id": article.pk, "body": "违*禁"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "不允许" in response.json()["detail"] and "违禁" not in response.content.decode()

    mine = client.get(f"{API}/comments?article={article.pk}").json()
    assert mine["count"] == 2
    theirs = login(make_reader(world.branch_a1)).get(f"{API}/comments?article={article.pk}").json()
    assert [c["body"] for c in theirs["items"]] == ["好文章"]


def test_not_readable_is_404(world, article, login):
    client = login(world.users["secretary2"])
    assert client.get(f"{API}/comments?article={article.pk}").status_code == 404
    response = client.post(f"{API}/comments", {"article_id": article.pk, "body": "x"}, content_type="application/json")
    assert response.status_code == 404
    assert client.get(f"{API}/comments").status_code == 404
    assert client.get(f"{API}/comments?article=99999999999").status_code == 422


def test_post_comments_and_count(world, login):
    post = make_post(world.branch_a1, world.people["member1"])
    client = login(make_reader(world.branch_a1))
    response = client.post(f"{API}/comments", {"post_id": post.pk, "body": "赞"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["post_id"] == post.pk
    post.refresh_from_db()
    assert post.comment_count == 1


def test_rate_limit_429(world, article, login):
    client = login(world.users["member1"])
    for i in range(10):
        payload = {"article_id": article.pk, "body": f"第{i}条"}
        assert client.post(f"{API}/comments", payload, content_type="application/json").status_code == 201
    payload = {"article_id": article.pk, "body": "多了"}
    response = client.post(f"{API}/comments", payload, content_type="application/json")
    assert response.status_code == 429 and "每分钟" in response.json()["detail"]


def test_report_delete_moderate(world, article, login):
    c = comments.comment_add(actor=world.users["member1"], article_id=article.pk, body="评论")
    reporters = [make_reader(world.branch_a1) for _ in range(3)]
    for user in reporters:
        response = login(user).post(
            f"{API}/comments/{c.pk}/report", {"reason": "不妥"}, content_type="application/json"
        )
        assert response.status_code == 204
    response = login(reporters[0]).post(
        f"{API}/comments/{c.pk}/report", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404  # held now: no longer visible to others
    c.refresh_from_db()
    assert c.status == CommentStatus.HELD

    secretary = login(world.users["secretary1"])
    queue = secretary.get(f"{API}/comments/moderation").json()
    assert queue["count"] == 1
    item = queue["items"][0]
    assert item["report_count"] == 3 and len(item["reports"]) == 3 and item["unit_name"] == world.branch_a1.name

    assert login(world.users["member1"]).get(f"{API}/comments/moderation").status_code == 403
    response = login(world.users["secretary2"]).post(
        f"{API}/comments/{c.pk}/moderate", {"decision": "approve"}, content_type="application/json"
    )
    assert response.status_code == 404
    secretary = login(world.users["secretary1"])  # one test client: log the secretary in again
    response = secretary.post(
        f"{API}/comments/{c.pk}/moderate", {"decision": "approve"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "visible"
    response = secretary.post(
        f"{API}/comments/{c.pk}/moderate", {"decision": "approve"}, content_type="application/json"
    )
    assert response.status_code == 409

    response = login(reporters[0]).post(f"{API}/comments/{c.pk}/delete", {}, content_type="application/json")
    assert response.status_code == 403
    response = login(world.users["member1"]).post(f"{API}/comments/{c.pk}/delete", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "deleted"
    assert Comment.objects.filter(pk=c.pk).exists()


def test_words_api(world, login):
    admin = login(world.users["admin"])
    response = admin.post(f"{API}/words", {"word": "ＡＢＣ", "action": "reject"}, content_type="application/json")
    assert response.status_code == 201 and response.json()["word"] == "abc"
    word_id = response.json()["id"]
    assert admin.post(f"{API}/words", {"word": "a b c"}, content_type="application/json").status_code == 409
    response = admin.patch(f"{API}/words/{word_id}", {"action": "hold"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["action"] == "hold"
    response = admin.post(f"{API}/words/import", {"lines": ["甲", "乙|reject"]}, content_type="application/json")
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert admin.get(f"{API}/words").json()["count"] == 3
    assert admin.delete(f"{API}/words/{word_id}").status_code == 204
    assert SensitiveWord.objects.count() == 2
    member = login(world.users["member1"])
    assert member.get(f"{API}/words").status_code == 403
    assert member.post(f"{API}/words", {"word": "x"}, content_type="application/json").status_code == 403


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_api_lists_query_counts_constant(world, article, login):
    authors = [make_reader(world.branch_a1) for _ in range(3)]

    def fill(n):
        rows = Comment.objects.bulk_create(
            Comment(
                article=article, author=authors[i % 3], body=f"c{i}", status=CommentStatus.HELD if i % 2 else "visible"
            )
            for i in range(n)
        )
        for row in rows[:2]:
            if row.status == "visible":
                comments.comment_report(actor=world.users["member1"], comment_id=row.pk, reason="不妥")

    member = login(world.users["member1"])
    fill(3)
    few = _count(member, f"{API}/comments?article={article.pk}")
    secretary = login(world.users["secretary1"])
    few_queue = _count(secretary, f"{API}/comments/moderation")
    fill(40)
    member = login(world.users["member1"])
    assert _count(member, f"{API}/comments?article={article.pk}") == few
    secretary = login(world.users["secretary1"])
    assert _count(secretary, f"{API}/comments/moderation") == few_queue
    assert (few, few_queue) == (7, 6)
