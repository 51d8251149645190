"""Resources and topics: sanitizing, upload checks, the publishing lifecycle, permissions, audit."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings
from django.urls import reverse

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.learning import resources as svc
from cloudbranch.learning.models import KnowledgePoint, Resource, TopicItem
from cloudbranch.learning.tests.test_resources_support import make_resource, media_root, mp4, pdf, upload  # noqa: F401
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import UserFactory, grant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

ARTICLE = {"kind": "article", "title": "学习党章", "body": "<p>正文</p>", "column": "policy", "audience": "subtree"}


# --- sanitizing ---------------------------------------------------------------------------------


def test_sanitize_removes_scripts_handlers_and_javascript_links():
    dirty = (
        '<p onclick="steal()">好<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">坏链接</a><a href="https://www.12371.cn/" onmouseover="x()">共产党员网</a>'
        '<img src="x" onerror="alert(1)"><img src="https://example.org/a.png" alt="图">'
        '<img src="/media/learning/2025/01/a.png"><img src="data:image/png;base64,AAAA">'
        '<iframe src="https://evil"></iframe><style>p{}</style><h1>大标题</h1><h2>小标题</h2>'
        '<table><tr><td colspan="2" style="color:red">单元格</td></tr></table>'
    )
    clean = svc.sanitize_html(dirty)
    assert "script" not in clean and "alert" not in clean
    assert "onclick" not in clean and "onmouseover" not in clean and "onerror" not in clean
    assert "javascript:" not in clean and '<a rel="noopener noreferrer nofollow">坏链接</a>' in clean
    assert 'href="https://www.12371.cn/"' in clean and 'rel="noopener noreferrer nofollow"' in clean
    assert 'src="https://example.org/a.png"' in clean and 'src="/media/learning/2025/01/a.png"' in clean
    assert "data:" not in clean and 'src="x"' not in clean
    assert "iframe" not in clean and "style" not in clean and "<h1>" not in clean
    assert "<h2>小标题</h2>" in clean and '<td colspan="2">单元格</td>' in clean


def test_created_article_body_is_sanitized(world):
    data = ARTICLE | {"body": '<p>学习<script>alert(1)</script><a href="javascript:x">点</a></p>'}
    resource = svc.resource_create(actor=world.users["secretary1"], unit_id=world.branch_a1.pk, data=data)
    assert resource.body == '<p>学习<a rel="noopener noreferrer nofollow">点</a></p>'


# --- uploads ----------------------------------------------------------------------------------


def test_upload_checks_extension_type_and_content(world):
    assert svc.check_upload("video", mp4()).content_type == "video/mp4"
    assert svc.check_upload("pdf", pdf()).content_type == "application/pdf"
    assert svc.check_upload("audio", upload("讲话.mp3", b"ID3\x04\x00" + b"\x00" * 64, "audio/mpeg")).name
    assert svc.check_upload("audio", upload("a.ogg", b"OggS" + b"\x00" * 64, "audio/ogg"))
    with pytest.raises(DomainError, match="类型不符"):
        svc.check_upload("video", upload("a.exe", b"MZ" * 50, "application/octet-stream"))
    with pytest.raises(DomainError, match="类型不符"):
        svc.check_upload("video", pdf())  # a PDF is not a video
    with pytest.raises(DomainError, match="内容类型"):
        svc.check_upload("video", upload("a.mp4", mp4().read(), "text/html"))
    with pytest.raises(DomainError, match="不是有效的 MP4"):
        svc.check_upload("video", upload("a.mp4", b"<html><script>", "video/mp4"))
    with pytest.raises(DomainError, match="不是有效的 PDF"):
        svc.check_upload("pdf", upload("a.pdf", b"<svg onload=alert(1)>", "application/pdf"))


@override_settings(LEARNING_MAX_UPLOAD_BYTES=1024)
def test_upload_size_limit_comes_from_the_setting(world):
    with pytest.raises(DomainError, match="超过") as exc:
        svc.resource_create(
            actor=world.users["secretary1"],
            unit_id=world.branch_a1.pk,
            data=ARTICLE | {"kind": "video", "duration_seconds": 60},
            uploaded_file=mp4(size=2048),
        )
    assert exc.value.errors[0]["field"] == "file"
    assert not Resource.objects.exists()


def test_default_size_limit_is_500_mb():
    assert svc.max_upload_bytes() == 500 * 1024 * 1024


def test_link_must_be_http(world):
    with pytest.raises(DomainError) as exc:
        svc.resource_create(
            actor=world.users["secretary1"],
            unit_id=world.branch_a1.pk,
            data=ARTICLE | {"kind": "link", "external_url": "javascript:alert(1)"},
        )
    assert exc.value.errors[0]["field"] == "external_url"


# --- lifecycle and permissions ---------------------------------------------------------------


def test_create_publish_withdraw_audited(world):
    actor = world.users["secretary1"]
    resource = svc.resource_create(
        actor=actor,
        unit_id=world.branch_a1.pk,
        data=ARTICLE | {"kind": "pdf"},
        uploaded_file=pdf(),
        knowledge_points="党章、两个确立, 四个意识",
    )
    assert resource.status == "draft" and resource.content_type == "application/pdf" and resource.file
    assert sorted(resource.knowledge_points.values_list("name", flat=True)) == ["两个确立", "党章", "四个意识"]
    assert KnowledgePoint.objects.count() == 3
    svc.resource_publish(actor=actor, resource_id=resource.pk)
    with pytest.raises(ConflictError):
        svc.resource_publish(actor=actor, resource_id=resource.pk)
    svc.resource_withdraw(actor=actor, resource_id=resource.pk)
    with pytest.raises(ConflictError):
        svc.resource_withdraw(actor=actor, resource_id=resource.pk)
    svc.resource_update(actor=actor, resource_id=resource.pk, data={"title": "学习新党章"}, knowledge_points="党章")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == [
        "learning.resource.create",
        "learning.resource.publish",
        "learning.resource.withdraw",
        "learning.resource.update",
    ]
    resource.refresh_from_db()
    assert resource.title == "学习新党章" and "学习" in resource.search_text


def test_permissions_404_outside_scope_403_without_change(world):
    resource = make_resource(world.branch_a1, world.users["secretary1"], status="draft")
    with pytest.raises(Http404):
        svc.resource_publish(actor=world.users["secretary2"], resource_id=resource.pk)
    with pytest.raises(Http404):  # a member holds no view_resource
        svc.resource_update(actor=world.users["member1"], resource_id=resource.pk, data={})
    viewer = UserFactory()
    grant(viewer, world.branch_a1, Role.ORGANIZATION_OFFICER)  # units, no learning.view_resource
    with pytest.raises(Http404):
        svc.resource_publish(actor=viewer, resource_id=resource.pk)
    with pytest.raises(PermissionDenied):  # sees the unit, may not publish there
        svc.resource_create(actor=viewer, unit_id=world.branch_a1.pk, data=ARTICLE)
    with pytest.raises(Http404):
        svc.resource_create(actor=world.users["secretary2"], unit_id=world.branch_a1.pk, data=ARTICLE)
    svc.resource_publish(actor=world.users["admin"], resource_id=resource.pk)  # org admin at the root


def test_sibling_secretary_404_on_manager_pages(world, login):
    resource = make_resource(world.branch_a1, world.users["secretary1"], status="draft")
    client = login(world.users["secretary2"])
    assert client.get(reverse("learning:resource_edit", args=[resource.pk])).status_code == 404
    assert client.post(reverse("learning:resource_publish", args=[resource.pk])).status_code == 404
    assert client.get(reverse("learning:resource", args=[resource.pk])).status_code == 404
    assert client.get(reverse("learning:resource_file", args=[resource.pk])).status_code == 404
    page = client.get(reverse("learning:resource_manage"))
    assert page.status_code == 200 and resource.title not in page.content.decode()
    own = login(world.users["secretary1"])
    assert own.get(reverse("learning:resource_edit", args=[resource.pk])).status_code == 200
    # a member has no manager pages
    assert login(world.users["member1"]).get(reverse("learning:resource_manage")).status_code == 403


def test_create_page_shows_errors_with_422_and_writes_nothing(world, login):
    client = login(world.users["secretary1"])
    assert client.get(reverse("learning:resource_create")).status_code == 200
    data = {
        "unit_id": world.branch_a1.pk,
        "kind": "video",
        "title": "视频课",
        "column": "policy",
        "audience": "subtree",
        "min_seconds": 60,
        "min_percent": 90,
        "file": upload("a.mp4", b"not a video at all", "video/mp4"),
    }
    response = client.post(reverse("learning:resource_create"), data)
    assert response.status_code == 422 and "不是有效的 MP4" in response.content.decode()
    assert not Resource.objects.exists()
    data["file"] = mp4()
    response = client.post(reverse("learning:resource_create"), data)
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert resource.kind == "video" and resource.file.name.endswith(".mp4")
    assert client.post(reverse("learning:resource_publish", args=[resource.pk])).status_code == 302
    again = client.post(reverse("learning:resource_publish", args=[resource.pk]))
    assert again.status_code == 409 and "资源已发布" in again.content.decode()


# --- topics -----------------------------------------------------------------------------------


def test_topic_reading_list_add_remove_reorder(world):
    actor = world.users["secretary1"]
    topic = svc.topic_create(actor=actor, unit_id=world.branch_a1.pk, data={"title": "学习二十大精神"})
    with pytest.raises(DomainError):
        svc.topic_set_status(actor=actor, topic_id=topic.pk, publish=True)  # empty list
    r1, r2, r3 = (make_resource(world.branch_a1, actor, title=t) for t in ("一", "二", "三"))
    for r in (r1, r2, r3):
        svc.topic_item_add(actor=actor, topic_id=topic.pk, resource_id=r.pk)
    with pytest.raises(ConflictError):
        svc.topic_item_add(actor=actor, topic_id=topic.pk, resource_id=r1.pk)
    order = lambda: list(TopicItem.objects.filter(topic=topic).values_list("resource_id", flat=True))  # noqa: E731
    assert order() == [r1.pk, r2.pk, r3.pk]
    svc.topic_item_move(actor=actor, topic_id=topic.pk, resource_id=r3.pk, offset=-1)
    assert order() == [r1.pk, r3.pk, r2.pk]
    svc.topic_reorder(actor=actor, topic_id=topic.pk, resource_ids=[r2.pk, r1.pk, r3.pk])
    assert order() == [r2.pk, r1.pk, r3.pk]
    svc.topic_item_remove(actor=actor, topic_id=topic.pk, resource_id=r1.pk)
    assert order() == [r2.pk, r3.pk]
    assert list(TopicItem.objects.filter(topic=topic).values_list("position", flat=True)) == [1, 2]
    svc.topic_set_status(actor=actor, topic_id=topic.pk, publish=True)
    # a sibling branch's draft cannot be put on the list
    other = make_resource(world.branch_a2, world.users["secretary2"], status="draft")
    with pytest.raises(DomainError):
        svc.topic_item_add(actor=actor, topic_id=topic.pk, resource_id=other.pk)
    with pytest.raises(Http404):
        svc.topic_item_add(actor=world.users["secretary2"], topic_id=topic.pk, resource_id=other.pk)


def test_topic_pages(world, login):
    actor = world.users["secretary1"]
    topic = svc.topic_create(actor=actor, unit_id=world.branch_a1.pk, data={"title": "党史专题"})
    r1 = make_resource(world.branch_a1, actor, title="第一篇")
    client = login(actor)
    response = client.post(reverse("learning:topic_items", args=[topic.pk]), {"op": "add", "resource_id": r1.pk})
    assert response.status_code == 302
    assert client.post(reverse("learning:topic_items", args=[topic.pk]), {"op": "publish"}).status_code == 302
    assert "第一篇" in client.get(reverse("learning:topic_edit", args=[topic.pk]) + "?q=第一").content.decode()
    member = login(world.users["member1"])
    assert "党史专题" in member.get(reverse("learning:topics")).content.decode()
    assert "第一篇" in member.get(reverse("learning:topic", args=[topic.pk])).content.decode()
    assert login(world.users["secretary2"]).get(reverse("learning:topic_edit", args=[topic.pk])).status_code == 404
