"""Feed pages: who sees what, keyset pagination with infinite scroll, pinned query counts, likes,
hiding by moderators, the post form, and the scoped photo and video files."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.models import AuditEvent
from cloudbranch.news import feed
from cloudbranch.news.models import Post, PostLike, PostPhoto
from cloudbranch.orgs.roles import Role
from cloudbranch.points import services as points
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit

from .factories import make_post, mp4_bytes, photo_bytes, upload

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    points.clear_rules_cache()
    yield
    points.clear_rules_cache()


def person_user(unit, **kwargs):
    user = UserFactory()
    PersonFactory(unit=unit, user=user, **kwargs)
    return user


def many_posts(world, n, *, unit=None, start=None, same_time=False):
    """``n`` posts one minute apart (or all at one instant), the newest last."""
    start = start or timezone.now() - datetime.timedelta(days=1)
    author = world.people["a1_other"] if (unit or world.branch_a1) == world.branch_a1 else world.people["a2_person"]
    return [
        make_post(
            unit or world.branch_a1,
            author,
            body=f"动态{i}",
            created_at=start if same_time else start + datetime.timedelta(minutes=i),
        )
        for i in range(n)
    ]


# --- seeing --------------------------------------------------------------------------------------


def test_whole_school_sees_posts_but_not_another_tree_or_platform_duties(world):
    post = make_post(world.branch_a1, world.people["a1_other"])
    b1_reader = person_user(world.branch_b1)
    assert feed.may_see_post(b1_reader, post)  # same school, other college: the showcase
    assert feed.may_see_post(world.users["member1"], post)
    assert feed.may_see_post(world.users["admin"], post)  # officer over the root, no person record
    assert feed.may_see_post(world.users["secretary1"], post)  # officer of the branch
    assert not feed.may_see_post(world.users["secretary2"], post)  # sibling officer without a person record
    other_root = make_unit(name="另一所大学党委", code="X")
    assert not feed.may_see_post(person_user(other_root), post)
    for duty in ("sysadmin", "secadmin", "auditor"):
        assert not feed.may_see_post(world.users[duty], post)


def test_feed_defaults_to_the_viewers_college_newest_first(world, login):
    make_post(world.branch_a1, world.people["a1_other"], body="一支部的动态")
    make_post(world.branch_a2, world.people["a2_person"], body="二支部的动态")
    make_post(world.branch_b1, world.people["b1_person"], body="数学学院的动态")
    client = login(world.users["member1"])
    response = client.get(reverse("news:feed"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["unit"] == world.college_a
    assert html.index("二支部的动态") < html.index("一支部的动态") and "数学学院的动态" not in html
    # The merged feed of the whole school, and one unit's own posts.
    html = client.get(reverse("news:feed"), {"unit": world.root.pk}).content.decode()
    assert "数学学院的动态" in html
    html = client.get(reverse("news:feed"), {"unit": world.college_a.pk, "scope": "unit"}).content.decode()
    assert "还没有动态" in html
    html = client.get(reverse("news:feed"), {"unit": world.branch_a2.pk, "scope": "unit"}).content.decode()
    assert "二支部的动态" in html and "一支部的动态" not in html
    # Outside the tree / outside an officer's grants: 404.
    other_root = make_unit(name="另一所大学党委", code="X")
    assert client.get(reverse("news:feed"), {"unit": other_root.pk}).status_code == 404
    assert login(world.users["secretary2"]).get(reverse("news:feed"), {"unit": world.branch_a1.pk}).status_code == 404
    assert login(world.users["auditor"]).get(reverse("news:feed")).status_code == 403


def test_post_page_and_404s(world, login):
    post = make_post(world.branch_a1, world.people["a1_other"], body="一支部活动")
    assert login(world.users["member1"]).get(reverse("news:post", args=[post.pk])).status_code == 200
    assert login(world.users["secretary2"]).get(reverse("news:post", args=[post.pk])).status_code == 404
    assert login(world.users["member1"]).get(reverse("news:post", args=[999999])).status_code == 404


# --- keyset pagination, infinite scroll, query counts ------------------------------------------------


def test_keyset_pagination_is_stable_while_new_posts_arrive(world):
    posts = many_posts(world, 25)
    posts += many_posts(world, 20, start=posts[-1].created_at + datetime.timedelta(minutes=1), same_time=True)
    user = world.users["member1"]
    first = feed.feed_page(user, world.college_a)
    assert len(first.posts) == 20 and first.next_cursor
    make_post(world.branch_a1, world.people["a1_other"], body="新的动态")  # arrives on top meanwhile
    seen = [p.pk for p in first.posts]
    cursor = first.next_cursor
    while cursor:
        page = feed.feed_page(user, world.college_a, cursor=cursor)
        seen += [p.pk for p in page.posts]
        cursor = page.next_cursor
    expected = [p.pk for p in sorted(posts, key=lambda p: (p.created_at, p.pk), reverse=True)]
    assert seen == expected  # every post once, none repeated or skipped, ties broken by id


def test_bad_cursor(world, login):
    with pytest.raises(feed.DomainError):
        feed.decode_cursor("not-a-cursor")
    response = login(world.users["member1"]).get(reverse("news:feed"), {"cursor": "garbage"})
    assert response.status_code == 200  # the page starts over from the newest


def test_infinite_scroll_loads_the_next_page_when_the_last_item_is_revealed(world, login):
    many_posts(world, 23)
    client = login(world.users["member1"])
    response = client.get(reverse("news:feed"), {"unit": world.branch_a1.pk})
    html = response.content.decode()
    next_url = response.context["next_url"]
    assert html.count('hx-trigger="revealed"') == 1 and f'hx-get="{next_url.replace("&", "&amp;")}"' in html
    more = client.get(next_url, **HTMX)
    assert more.status_code == 200
    part = more.content.decode()
    assert "<html" not in part and part.count('class="card mb-3 cb-post"') == 3
    assert 'hx-trigger="revealed"' not in part and "没有更多了" in part


FEED_QUERIES = 10
_last_queries: list = []


def _feed_queries(client, unit) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("news:feed"), {"unit": unit.pk})
    assert response.status_code == 200
    _last_queries[:] = [q["sql"][:150] for q in ctx.captured_queries]
    return len(ctx.captured_queries)


def test_feed_page_query_count_is_constant(world, login):
    client = login(world.users["member1"])
    for i, unit in enumerate((world.branch_a1, world.branch_a2)):
        post = make_post(unit, world.people["a1_other"], body=f"带图{i}")
        PostPhoto.objects.create(post=post, image="news/x.jpg", width=10, height=10)
    few = _feed_queries(client, world.college_a)
    for post in many_posts(world, 30):
        PostPhoto.objects.create(post=post, image="news/x.jpg", width=10, height=10)
        PostPhoto.objects.create(post=post, image="news/y.jpg", width=10, height=10, position=1)
        PostLike.objects.create(post=post, person=world.people["member1"])
    many = _feed_queries(client, world.college_a)
    assert (few, many) == (FEED_QUERIES, FEED_QUERIES), _last_queries
    # The next page through HTMX: fewer (no unit picker), also constant.
    cursor = feed.feed_page(world.users["member1"], world.college_a).next_cursor
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("news:feed"), {"unit": world.college_a.pk, "cursor": cursor}, **HTMX)
    assert len(ctx.captured_queries) == 7


# --- likes ----------------------------------------------------------------------------------------------


def test_like_toggles_and_counts(world, login):
    post = make_post(world.branch_a1, world.people["a1_other"])
    url = reverse("news:post_like", args=[post.pk])
    client = login(world.users["member1"])
    response = client.post(url, **HTMX)
    assert response.status_code == 200 and "bi-heart-fill" in response.content.decode()
    assert '<span class="cb-like-count">1</span>' in response.content.decode()
    other = person_user(world.branch_b1)
    login(other).post(url, **HTMX)
    post.refresh_from_db()
    assert post.like_count == 2 == PostLike.objects.filter(post=post).count()
    client = login(world.users["member1"])
    response = client.post(url, **HTMX)  # toggles off
    assert '<span class="cb-like-count">1</span>' in response.content.decode()
    assert "bi-heart-fill" not in response.content.decode()
    # Setting explicitly is idempotent.
    assert feed.post_like(actor=other, post_id=post.pk, like=True) == (True, 1)
    assert feed.post_like(actor=other, post_id=post.pk, like=False) == (False, 0)
    assert feed.post_like(actor=other, post_id=post.pk, like=False) == (False, 0)
    post.refresh_from_db()
    assert post.like_count == 0 and not PostLike.objects.exists()
    assert AuditEvent.objects.filter(action="news.post.like").count() == 2
    assert AuditEvent.objects.filter(action="news.post.unlike").count() == 2
    # The viewer's like shows on the feed; officers without a person cannot like (403); outsiders 404.
    feed.post_like(actor=world.users["member1"], post_id=post.pk, like=True)
    html = login(world.users["member1"]).get(reverse("news:feed")).content.decode()
    assert "bi-heart-fill" in html
    assert login(world.users["admin"]).post(url, **HTMX).status_code == 403
    assert login(world.users["secretary2"]).post(url, **HTMX).status_code == 404


def test_like_without_htmx_redirects_back(world, login):
    post = make_post(world.branch_a1, world.people["a1_other"])
    client = login(world.users["member1"])
    response = client.post(reverse("news:post_like", args=[post.pk]), {"next": "/news/feed/"})
    assert response.status_code == 302 and response.url == "/news/feed/"
    response = client.post(reverse("news:post_like", args=[post.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("news:post", args=[post.pk])


# --- hiding -----------------------------------------------------------------------------------------------


def test_moderator_hides_a_post_with_a_reason(world, login):
    post = make_post(world.branch_a1, world.people["member1"], body="不当内容")
    url = reverse("news:post_hide", args=[post.pk])
    assert login(world.users["secretary2"]).post(url, {"reason": "x"}).status_code == 404  # sibling branch
    assert login(world.users["member1"]).post(url, {"reason": "x"}).status_code == 403  # sees, not a moderator
    client = login(world.users["secretary1"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 422 and "隐藏原因" in response.content.decode()
    response = client.post(url, {"reason": "与活动无关"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.hidden
    audit = AuditEvent.objects.get(action="news.post.hide")
    assert audit.changes["reason"]["new"] == "与活动无关" and audit.actor == world.users["secretary1"]
    assert client.post(url, {"reason": "再次"}).status_code == 409
    # Hidden: out of every feed; only the moderators and the author still open it.
    assert "不当内容" not in login(world.users["admin"]).get(reverse("news:feed")).content.decode()
    assert login(person_user(world.branch_a1)).get(reverse("news:post", args=[post.pk])).status_code == 404
    assert login(world.users["member1"]).get(reverse("news:post", args=[post.pk])).status_code == 200
    page = login(world.users["secretary1"]).get(reverse("news:post", args=[post.pk]))
    assert "已隐藏" in page.content.decode()
    assert page.context["can_moderate"]
    # Restore.
    assert login(world.users["secretary1"]).post(reverse("news:post_unhide", args=[post.pk])).status_code == 302
    post.refresh_from_db()
    assert not post.hidden and AuditEvent.objects.filter(action="news.post.unhide").count() == 1


# --- the post form ------------------------------------------------------------------------------------


def test_post_form_publishes_and_shows_errors(world, login):
    client = login(world.users["member1"])
    page = client.get(reverse("news:post_create"))
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    assert [c[0] for c in page.context["form"].fields["unit"].choices] == [world.branch_a1.pk]
    photos = [upload(f"{i}.jpg", photo_bytes(30, 30)) for i in range(2)]
    response = client.post(
        reverse("news:post_create"), {"unit": world.branch_a1.pk, "body": "表单发布", "photos": photos}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get(body="表单发布")
    assert post.photos.count() == 2
    response = client.post(
        reverse("news:post_create"),
        {"unit": world.branch_a1.pk, "body": "坏视频", "video": upload("v.mp4", b"nope" * 10)},
    )
    assert response.status_code == 422 and "MP4" in response.content.decode()
    assert not Post.objects.filter(body="坏视频").exists()
    assert login(world.users["secretary1"]).get(reverse("news:post_create")).status_code == 403  # no person record


# --- files --------------------------------------------------------------------------------------------------


def test_photo_is_served_to_those_who_see_the_post(world, login):
    post = feed.post_create(
        actor=world.users["member1"], unit_id=world.branch_a1.pk, photos=[upload("a.jpg", photo_bytes(40, 30))]
    )
    photo = post.photos.get()
    url = reverse("news:photo", args=[photo.pk])
    response = login(person_user(world.branch_b1)).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(person_user(make_unit(name="外校", code="X"))).get(url).status_code == 404


def test_video_is_served_with_ranges(world, login):
    post = feed.post_create(
        actor=world.users["member1"], unit_id=world.branch_a1.pk, body="视频", video=upload("v.mp4", mp4_bytes(10000))
    )
    url = reverse("news:post_video", args=[post.pk])
    client = login(world.users["member1"])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4" and whole["Accept-Ranges"] == "bytes"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == "bytes 100-199/10000"
    assert len(b"".join(part.streaming_content)) == 100
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert f'src="{url}"' in login(world.users["member1"]).get(reverse("news:feed")).content.decode()


def test_officer_feed_default_is_the_top_of_their_grants(world, login):
    officer = UserFactory()
    grant(officer, world.college_b, Role.PUBLICITY_OFFICER)
    response = login(officer).get(reverse("news:feed"))
    assert response.status_code == 200 and response.context["unit"] == world.college_b
