"""Member pages, scoped ranged file responses, query counts and the API of the resources area."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cloudbranch.learning import resources as svc
from cloudbranch.learning.tests.test_resources_support import (  # noqa: F401
    make_resource,
    media_root,
    member_at,
    mp4,
    stream_bytes,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]


@pytest.fixture
def video(world):
    actor = world.users["secretary1"]
    resource = svc.resource_create(
        actor=actor,
        unit_id=world.branch_a1.pk,
        data={"kind": "video", "title": "党课视频", "column": "cultivation", "duration_seconds": 120},
        uploaded_file=mp4(size=10_000),
    )
    svc.resource_publish(actor=actor, resource_id=resource.pk)
    return resource


def test_range_requests_get_206_with_content_range(world, login, video):
    client = login(world.users["member1"])
    url = reverse("learning:resource_file", args=[video.pk])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Length"] == "10000"
    data = stream_bytes(whole)
    assert len(data) == 10_000 and whole["Content-Type"] == "video/mp4"
    assert whole["X-Content-Type-Options"] == "nosniff"

    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == "bytes 100-199/10000" and part["Content-Length"] == "100"
    assert stream_bytes(part) == data[100:200]

    open_end = client.get(url, HTTP_RANGE="bytes=9990-")
    assert open_end.status_code == 206 and open_end["Content-Range"] == "bytes 9990-9999/10000"
    assert stream_bytes(open_end) == data[9990:]

    suffix = client.get(url, HTTP_RANGE="bytes=-500")
    assert suffix["Content-Range"] == "bytes 9500-9999/10000" and stream_bytes(suffix) == data[-500:]

    beyond = client.get(url, HTTP_RANGE="bytes=9000-20000")
    assert beyond["Content-Range"] == "bytes 9000-9999/10000"

    bad = client.get(url, HTTP_RANGE="bytes=20000-")
    assert bad.status_code == 416 and bad["Content-Range"] == "bytes */10000"

    several = client.get(url, HTTP_RANGE="bytes=0-1,5-6")  # not supported: the whole file
    assert several.status_code == 200


def test_file_is_scoped(world, login, video):
    user_a2, _ = member_at(world.branch_a2)
    assert login(user_a2).get(reverse("learning:resource_file", args=[video.pk])).status_code == 404


def test_video_page_resumes_and_loads_the_heartbeat_script(world, login, video):
    from cloudbranch.learning.models import StudyProgress

    StudyProgress.objects.create(person=world.people["member1"], resource=video, position=42, seconds=60)
    page = login(world.users["member1"]).get(reverse("learning:resource", args=[video.pk])).content.decode()
    assert 'data-resume="42"' in page and "<video" in page and "learning/study.js" in page
    assert reverse("learning:heartbeat", args=[video.pk]) in page


def test_member_pages_render(world, login, video):
    make_resource(world.branch_a1, world.users["secretary1"], title="学习党章", column="policy")
    make_resource(world.root, world.users["admin"], title="全校通知", audience="school", column="news")
    client = login(world.users["member1"])
    home = client.get(reverse("learning:home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert "学习党章" in body and "全校通知" in body and "为你推荐" in body
    listing = client.get(reverse("learning:resources"), {"column": "policy"}).content.decode()
    assert "学习党章" in listing and "全校通知" not in listing
    found = client.get(reverse("learning:resources"), {"q": "党章"}).content.decode()
    assert "学习党章" in found and "党课视频" not in found
    assert client.get(reverse("learning:my_study")).status_code == 200
    assert client.get(reverse("learning:topics")).status_code == 200


def test_menu_entries(world, login):
    from cloudbranch.core.nav import menu_for

    keys = lambda user: {i["key"] for i in menu_for(user)}  # noqa: E731
    assert "learning" in keys(world.users["member1"]) and "learning_manage" not in keys(world.users["member1"])
    assert {"learning", "learning_manage"} <= keys(world.users["secretary1"])
    assert not {"learning", "learning_manage"} & keys(world.users["sysadmin"])


def _list_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_resource_list_query_count_is_constant(world, login):
    author = world.users["secretary1"]
    client = login(world.users["member1"])
    url = reverse("learning:resources")
    for i in range(3):
        make_resource(world.branch_a1, author, title=f"资源{i}", kps=["党章"])
    first = _list_queries(client, url)
    _list_queries(client, url + "?q=资源")  # (SQLite: the FTS table is looked up once per process)
    search_first = _list_queries(client, url + "?q=资源")
    for i in range(25):
        make_resource(world.college_a if i % 2 else world.branch_a1, author, title=f"更多资源{i}")
    assert _list_queries(client, url) == first
    assert _list_queries(client, url + "?q=资源") == search_first
    # session, user, person, grants, count, menu's person flags, knowledge points, page
    assert first == 8
    assert search_first == 8


def test_manage_list_query_count_is_constant(world, login):
    client = login(world.users["secretary1"])
    url = reverse("learning:resource_manage")
    make_resource(world.branch_a1, world.users["secretary1"], status="draft")
    first = _list_queries(client, url)
    for i in range(25):
        make_resource(world.branch_a1, world.users["secretary1"], title=f"草稿{i}", status="draft")
    assert _list_queries(client, url) == first == 6  # session, user, grants, count, menu person flags, page


def test_api(world, login, video):
    article = make_resource(world.branch_a1, world.users["secretary1"], title="学习党章", kps=["党章"])
    client = login(world.users["member1"])
    listing = client.get("/api/learning/resources", {"q": "党章"}).json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == article.pk
    assert client.get("/api/learning/resources", {"column": "cultivation"}).json()["items"][0]["id"] == video.pk
    detail = client.get(f"/api/learning/resources/{video.pk}").json()
    assert detail["file_url"].endswith(f"/{video.pk}/file/") and detail["my_progress"] is None
    beat = client.post(f"/api/learning/resources/{video.pk}/beat", {"position": 5}, content_type="application/json")
    assert beat.status_code == 200 and beat.json()["position"] == 5
    assert client.get("/api/learning/progress").json()["items"][0]["resource_id"] == video.pk
    assert client.get("/api/learning/topics").json()["count"] == 0
    topic = svc.topic_create(actor=world.users["secretary1"], unit_id=world.branch_a1.pk, data={"title": "党章专题"})
    svc.topic_item_add(actor=world.users["secretary1"], topic_id=topic.pk, resource_id=article.pk)
    svc.topic_set_status(actor=world.users["secretary1"], topic_id=topic.pk, publish=True)
    assert client.get("/api/learning/topics").json()["items"][0]["title"] == "党章专题"
    topic_out = client.get(f"/api/learning/topics/{topic.pk}").json()
    assert topic_out["items"] == [{"position": 1, "resource_id": article.pk, "title": "学习党章", "kind": "article"}]
    assert "党章专题" in client.get(reverse("learning:resource", args=[article.pk])).content.decode()
    study = client.get("/api/learning/study").json()
    assert study["person_id"] == world.people["member1"].pk and study["years"] == []
    user_a2, _ = member_at(world.branch_a2)
    other = login(user_a2)
    assert other.get(f"/api/learning/resources/{article.pk}").status_code == 404
    assert other.get("/api/learning/resources").json()["count"] == 0
    assert other.get(f"/api/learning/topics/{topic.pk}").status_code == 404
    assert "党章专题" not in other.get(reverse("learning:resource", args=[video.pk])).content.decode()
    assert login(world.users["sysadmin"]).get("/api/learning/resources").status_code == 403
