"""Attachments: type and size checks by content, clean re-encoding of photos, scoped downloads.

A member who sees the meeting (same branch) but did not attend gets 403 on a download, not 404:
the meeting and the fact that it has attachments are already visible to them on the meeting
page, so a 404 would hide nothing; 403 says "visible but not allowed", the house rule. Anyone
outside the meeting's scope (the sibling branch's secretary) gets 404.
"""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from PIL import Image

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.meetings import images, records
from cloudbranch.meetings.choices import AttendanceStatus, MeetingStatus
from cloudbranch.meetings.models import Meeting, MeetingAttachment

from .test_records_minutes import HTMX, invite, make_meeting

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def jpeg_with_gps(width=3000, height=1000, orientation=None) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=80)
    return out.getvalue()


def office_file(folder: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(f"{folder}document.xml", "<doc/>")
    return out.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def add(world, meeting, name, data, user="secretary1"):
    return records.attachment_add(actor=world.users[user], meeting_id=meeting.pk, uploaded_file=upload(name, data))


# --- checks -------------------------------------------------------------------------------


def test_photo_is_oriented_downscaled_and_stripped_of_exif(world):
    data = jpeg_with_gps(orientation=6)  # "rotate 90° clockwise to display"
    with Image.open(io.BytesIO(data)) as original:
        assert GPS_IFD in original.getexif()  # the test photo really carries a position
    attachment = add(world, make_meeting(world), "现场照片.JPG", data)
    assert attachment.kind == "image" and attachment.content_type == "image/jpeg"
    assert attachment.original_name == "现场照片.jpg"
    with attachment.file.open("rb") as f:
        stored = f.read()
    assert attachment.size == len(stored)
    with Image.open(io.BytesIO(stored)) as cleaned:
        assert cleaned.format == "JPEG"
        assert cleaned.size == (683, 2048)  # turned upright (1000x3000), longest side 2048
        assert len(cleaned.getexif()) == 0
        assert GPS_IFD not in cleaned.getexif()
        assert "exif" not in cleaned.info
    assert b"Exif" not in stored[:200] and b"PhoneMaker" not in stored
    assert AuditEvent.objects.filter(action="meetings.attachment.add", target_id=str(attachment.pk)).exists()


def test_png_and_webp_are_accepted_small_images_keep_their_size(world):
    meeting = make_meeting(world)
    for fmt in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("RGBA", (300, 200), (0, 0, 255, 128)).save(out, format=fmt)
        attachment = add(world, meeting, f"图.{fmt.lower()}", out.getvalue())
        with Image.open(attachment.file.path) as img:
            assert (img.format, img.size) == (fmt, (300, 200))


def test_a_jpg_that_is_text_is_refused(world):
    meeting = make_meeting(world)
    with pytest.raises(DomainError) as exc:
        add(world, meeting, "photo.jpg", b"<html><script>alert(1)</script></html>")
    assert "不是有效的 JPG、PNG 或 WebP 图片" in exc.value.message
    assert exc.value.errors[0]["field"] == "file"
    assert not MeetingAttachment.objects.exists()


def test_image_type_is_read_from_content_not_from_name(world):
    meeting = make_meeting(world)
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="PNG")
    attachment = add(world, meeting, "no-extension", out.getvalue())
    assert (attachment.kind, attachment.content_type, attachment.original_name) == (
        "image",
        "image/png",
        "no-extension.png",
    )
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(DomainError):
        add(world, meeting, "anim.gif", gif.getvalue())
    with pytest.raises(DomainError):
        add(world, meeting, "script.exe", b"MZ\x90\x00")


def test_oversize_files_are_refused(world):
    meeting = make_meeting(world)
    with pytest.raises(DomainError) as exc:
        add(world, meeting, "big.jpg", b"\xff\xd8" + b"0" * images.MAX_IMAGE_BYTES)
    assert exc.value.message == "图片“big.jpg”超过 10 MB，不能上传。"
    with pytest.raises(DomainError) as exc:
        add(world, meeting, "big.pdf", b"%PDF-1.7\n" + b"0" * images.MAX_DOCUMENT_BYTES)
    assert exc.value.message == "文件“big.pdf”超过 20 MB，不能上传。"
    assert not MeetingAttachment.objects.exists()


def test_documents_checked_by_extension_and_magic_bytes(world):
    meeting = make_meeting(world)
    assert add(world, meeting, "会议材料.pdf", b"%PDF-1.7\n...").content_type == "application/pdf"
    assert add(world, meeting, "纪要.docx", office_file("word/")).kind == "document"
    assert add(world, meeting, "名单.xlsx", office_file("xl/")).kind == "document"
    assert add(world, meeting, "课件.pptx", office_file("ppt/")).kind == "document"
    assert add(world, meeting, "说明.txt", "会议说明".encode("gb18030")).kind == "document"
    for name, data in [
        ("fake.pdf", b"<html>"),
        ("fake.docx", office_file("xl/")),
        ("fake.xlsx", b"PK\x03\x04garbage"),
        ("binary.txt", b"abc\x00def"),
        ("empty.pdf", b""),
    ]:
        with pytest.raises(DomainError):
            add(world, meeting, name, data)
    assert MeetingAttachment.objects.count() == 5


@pytest.mark.parametrize("status", [MeetingStatus.ARCHIVED, MeetingStatus.CANCELLED])
def test_no_uploads_or_deletes_after_archive_or_cancel(world, status, django_capture_on_commit_callbacks):
    meeting = make_meeting(world)
    attachment = add(world, meeting, "a.pdf", b"%PDF-1.4")
    Meeting.objects.filter(pk=meeting.pk).update(status=status)
    with pytest.raises(ConflictError):
        add(world, meeting, "b.pdf", b"%PDF-1.4")
    with pytest.raises(ConflictError):
        records.attachment_delete(actor=world.users["secretary1"], attachment_id=attachment.pk)
    assert MeetingAttachment.objects.filter(pk=attachment.pk).exists()


def test_delete_removes_row_and_file_and_is_audited(world, django_capture_on_commit_callbacks):
    meeting = make_meeting(world)
    attachment = add(world, meeting, "a.pdf", b"%PDF-1.4")
    name = attachment.file.name
    assert default_storage.exists(name)
    with pytest.raises(Http404):
        records.attachment_delete(actor=world.users["secretary2"], attachment_id=attachment.pk)
    with pytest.raises(PermissionDenied):
        records.attachment_delete(actor=world.users["member1"], attachment_id=attachment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        records.attachment_delete(actor=world.users["secretary1"], attachment_id=attachment.pk)
    assert not MeetingAttachment.objects.exists()
    assert not default_storage.exists(name)
    assert AuditEvent.objects.filter(action="meetings.attachment.delete").count() == 1


# --- download -----------------------------------------------------------------------------


def test_download_scoping(world, login):
    meeting = make_meeting(world)
    attachment = add(world, meeting, "会议 材料.pdf", b"%PDF-1.4 content")
    url = reverse("meetings:attachment", args=[attachment.pk])
    response = login(world.users["secretary1"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 content"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "%E4%BC%9A%E8%AE%AE%20%E6%9D%90%E6%96%99.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert login(world.users["secretary2"]).get(url).status_code == 404
    assert login(world.users["member1"]).get(url).status_code == 403  # same branch, did not attend
    invite(meeting, world.people["member1"], AttendanceStatus.ABSENT)
    assert login(world.users["member1"]).get(url).status_code == 403
    invite(meeting, world.people["a1_other"])
    meeting.invitees.filter(person=world.people["member1"]).update(status=AttendanceStatus.PRESENT)
    assert login(world.users["member1"]).get(url).status_code == 200
    assert login(world.users["admin"]).get(url).status_code == 200
    assert login(world.users["auditor"]).get(url).status_code == 404
    assert login(world.users["secretary1"]).get(reverse("meetings:attachment", args=[99999])).status_code == 404


def test_panel_upload_by_htmx_and_thumbnail(world, login):
    meeting = make_meeting(world)
    client = login(world.users["secretary1"])
    url = reverse("meetings:attachment_upload", args=[meeting.pk])
    response = client.post(url, {"file": upload("现场.jpg", jpeg_with_gps(400, 300))}, **HTMX)
    assert response.status_code == 200
    attachment = MeetingAttachment.objects.get()
    assert f'<img src="{reverse("meetings:attachment", args=[attachment.pk])}"' in response.content.decode()
    response = client.post(url, {"file": upload("假图.jpg", b"not an image")}, **HTMX)
    assert response.status_code == 422
    assert "不是有效的 JPG、PNG 或 WebP 图片" in response.content.decode()
    response = client.post(reverse("meetings:attachment_delete", args=[attachment.pk]), **HTMX)
    assert response.status_code == 200 and not MeetingAttachment.objects.exists()


def test_api_attachments(world, login):
    meeting = make_meeting(world)
    client = login(world.users["secretary1"])
    response = client.post(f"/api/meetings/{meeting.pk}/attachments", {"file": upload("材料.pdf", b"%PDF-1.5")})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == reverse("meetings:attachment", args=[body["id"]])
    listed = client.get(f"/api/meetings/{meeting.pk}/attachments").json()
    assert listed["count"] == 1 and listed["items"][0]["original_name"] == "材料.pdf"
    response = client.post(f"/api/meetings/{meeting.pk}/attachments", {"file": upload("x.jpg", b"text")})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "file"
    assert login(world.users["secretary2"]).get(f"/api/meetings/{meeting.pk}/attachments").status_code == 404
    assert login(world.users["member1"]).get(f"/api/meetings/{meeting.pk}/attachments").status_code == 403
    client = login(world.users["secretary1"])
    assert client.delete(f"/api/meetings/attachments/{body['id']}").status_code == 204
    assert not MeetingAttachment.objects.exists()
