"""Helpers of the resources-area tests (no tests here)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cloudbranch.learning import search
from cloudbranch.learning.models import Resource
from cloudbranch.learning.resources import knowledge_points_by_name
from cloudbranch.orgs.roles import Role
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
PDF_HEAD = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"


def make_resource(unit, user, *, title="学习党章", body="<p>认真学习党章，尊崇党章。</p>", kind="article",
                  audience="subtree", status="published", column="policy", kps=(), **fields):  # fmt: skip
    resource = Resource.objects.create(
        kind=kind,
        title=title,
        body=body,
        column=column,
        unit=unit,
        audience=audience,
        status=status,
        published_at=timezone.now() if status == "published" else None,
        created_by=user,
        **fields,
    )
    if kps:
        resource.knowledge_points.set(knowledge_points_by_name(list(kps)))
    search.index_resource(resource)
    return resource


def member_at(unit, name="学员"):
    """A user with an on-roster person at ``unit`` and a member grant there."""
    user = UserFactory()
    grant(user, unit, Role.MEMBER)
    person = PersonFactory(unit=unit, name=name, user=user)
    return user, person


def upload(name, data, content_type):
    return SimpleUploadedFile(name, data, content_type=content_type)


def mp4(size=4096, name="课程.mp4"):
    data = (MP4_HEAD + bytes(range(256)) * (size // 256 + 1))[:size]
    return upload(name, data, "video/mp4")


def pdf(name="党章.pdf"):
    return upload(name, PDF_HEAD + b"1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf")


def stream_bytes(response) -> bytes:
    if getattr(response, "streaming", False):
        buf = io.BytesIO()
        for chunk in response.streaming_content:
            buf.write(chunk)
        return buf.getvalue()
    return response.content


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path
