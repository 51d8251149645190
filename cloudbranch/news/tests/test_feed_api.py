"""/api/news: feed (cursor pagination), post detail, create (multipart), like/unlike, hide."""

import datetime

import pytest
from django.utils import timezone

from cloudbranch.news.models import Post
from cloudbranch.points import services as points

from .factories import make_post, mp4_bytes, photo_bytes, upload


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    points.clear_rules_cache()
    yield
    points.clear_rules_cache()


def test_feed_api_pages_with_a_cursor(world, login):
    start = timezone.now() - datetime.timedelta(days=1)
    for i in range(7):
        make_post(
            world.branch_a1, world.people["a1_other"], body=f"动态{i}", created_at=start + datetime.timedelta(minutes=i)
        )
    make_post(world.branch_b1, world.people["b1_person"], body="数学学院")
    client = login(world.users["member1"])
    first = client.get("/api/news/feed", {"limit": 5})
    assert first.status_code == 200
    body = first.json()
    assert [p["body"] for p in body["items"]] == ["动态6", "动态5", "动态4", "动态3", "动态2"]
    assert body["items"][0]["author_name"] == "张一" and body["items"][0]["liked"] is False
    second = client.get("/api/news/feed", {"limit": 5, "cursor": body["next_cursor"]}).json()
    assert [p["body"] for p in second["items"]] == ["动态1", "动态0"] and second["next_cursor"] is None
    school = client.get("/api/news/feed", {"unit": world.root.pk}).json()
    assert "数学学院" in [p["body"] for p in school["items"]]
    assert client.get("/api/news/feed", {"cursor": "bad"}).status_code == 422
    assert client.get("/api/news/feed", {"unit": 2**40}).status_code == 422
    assert login(world.users["secretary2"]).get("/api/news/feed", {"unit": world.branch_a1.pk}).status_code == 404


def test_create_detail_like_and_hide_through_the_api(world, login):
    client = login(world.users["member1"])
    response = client.post(
        "/api/news/posts",
        {"unit": world.branch_a1.pk, "body": "接口发布", "photos": [upload("a.jpg", photo_bytes(2000, 1000))]},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["photos"][0]["width"] == 1600 and created["photos"][0]["height"] == 800
    post_id = created["id"]
    assert client.get(f"/api/news/posts/{post_id}").json()["body"] == "接口发布"
    assert client.get(created["photos"][0]["url"]).status_code == 200

    too_many = [upload(f"{i}.jpg", photo_bytes(10, 10)) for i in range(10)]
    response = client.post("/api/news/posts", {"unit": world.branch_a1.pk, "photos": too_many})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "photos"
    response = client.post("/api/news/posts", {"unit": world.branch_a1.pk, "video": upload("v.mp4", b"x" * 100)})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "video"
    response = client.post("/api/news/posts", {"unit": world.branch_a1.pk, "video": upload("v.mp4", mp4_bytes())})
    assert response.status_code == 201 and response.json()["video_url"]
    assert client.post("/api/news/posts", {"unit": world.branch_a2.pk, "body": "别的支部"}).status_code == 403

    assert client.post(f"/api/news/posts/{post_id}/like").json() == {"liked": True, "like_count": 1}
    assert client.post(f"/api/news/posts/{post_id}/like").json() == {"liked": True, "like_count": 1}
    assert client.get(f"/api/news/posts/{post_id}").json()["liked"] is True
    assert client.delete(f"/api/news/posts/{post_id}/like").json() == {"liked": False, "like_count": 0}

    assert (
        client.post(f"/api/news/posts/{post_id}/hide", {"reason": "测试"}, content_type="application/json").status_code
        == 403
    )
    secretary2 = login(world.users["secretary2"])
    assert (
        secretary2.post(f"/api/news/posts/{post_id}/hide", {"reason": "x"}, content_type="application/json").status_code
        == 404
    )
    secretary1 = login(world.users["secretary1"])
    response = secretary1.post(f"/api/news/posts/{post_id}/hide", {"reason": "重复"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["hidden"] is True
    response = secretary1.post(f"/api/news/posts/{post_id}/hide", {"reason": "重复"}, content_type="application/json")
    assert response.status_code == 409
    assert Post.objects.get(pk=post_id).hidden
    assert secretary1.post(f"/api/news/posts/{post_id}/unhide").json()["hidden"] is False
