"""The feed's posting service: who posts where, photos (EXIF stripped, upright, resized), video
type checks, meeting links, points and audit."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import Http404
from PIL import Image

from cloudbranch.audit.models import AuditEvent
from cloudbranch.core.errors import DomainError
from cloudbranch.meetings.choices import MeetingStatus
from cloudbranch.meetings.tests.factories import make_meeting
from cloudbranch.news import feed
from cloudbranch.news.models import Post, PostPhoto
from cloudbranch.orgs.roles import Role
from cloudbranch.points import services as points
from cloudbranch.points.models import PointEvent
from cloudbranch.testing.factories import PersonFactory, UserFactory, grant, make_unit

from .factories import mp4_bytes, photo_bytes, upload, webm_bytes

GPS_IFD = 0x8825


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    points.clear_rules_cache()
    yield
    points.clear_rules_cache()


def create(world, user="member1", unit=None, **kwargs):
    actor = world.users[user] if isinstance(user, str) else user
    return feed.post_create(actor=actor, unit_id=(unit or world.branch_a1).pk, **kwargs)


def field_of(exc) -> str:
    return exc.value.errors[0]["field"]


# --- photos ------------------------------------------------------------------------------------


def test_photo_is_stripped_of_exif_upright_and_resized(world):
    data = photo_bytes(3200, 1000, orientation=6)  # "rotate 90° clockwise to display"
    post = create(world, body="主题党日", photos=[upload("IMG_0001.jpg", data)])
    photo = post.photos.get()
    with default_storage.open(photo.image.name) as fh, Image.open(fh) as image:
        assert image.format == "JPEG"
        # Upright (portrait after applying orientation 6) and at most 1600 px on the long side.
        assert (image.width, image.height) == (500, 1600) == (photo.width, photo.height)
        exif = image.getexif()
        assert not exif and GPS_IFD not in exif and 0x010F not in exif
        assert "exif" not in image.info
    assert "IMG_0001" not in photo.image.name  # the client's file name is not stored


def test_png_and_webp_keep_their_format_and_small_photos_their_size(world):
    post = create(
        world,
        photos=[upload("a.png", photo_bytes(300, 200, fmt="PNG")), upload("b.webp", photo_bytes(40, 30, fmt="WEBP"))],
    )
    photos = list(post.photos.order_by("position"))
    assert [(p.width, p.height) for p in photos] == [(300, 200), (40, 30)]
    assert photos[0].image.name.endswith(".png") and photos[1].image.name.endswith(".webp")


def test_more_than_nine_photos_are_refused_and_nothing_is_written(world):
    photos = [upload(f"{i}.jpg", photo_bytes(20, 20)) for i in range(10)]
    with pytest.raises(DomainError) as exc:
        create(world, body="十张", photos=photos)
    assert field_of(exc) == "photos" and "9" in exc.value.message
    assert not Post.objects.exists() and not PostPhoto.objects.exists()
    nine = create(world, body="九张", photos=photos[:9])
    assert nine.photos.count() == 9


def test_a_photo_that_is_not_an_image_or_too_big_is_refused(world):
    with pytest.raises(DomainError) as exc:
        create(world, photos=[upload("x.jpg", b"<script>alert(1)</script>")])
    assert field_of(exc) == "photos"
    big = upload("big.jpg", b"\xff\xd8" + b"0" * 10)
    big.size = feed.MAX_PHOTO_BYTES + 1
    with pytest.raises(DomainError) as exc:
        create(world, photos=[big])
    assert "10 MB" in exc.value.message
    assert not Post.objects.exists()


def test_photos_and_video_together_or_nothing_at_all_are_refused(world):
    with pytest.raises(DomainError) as exc:
        create(world, photos=[upload("a.jpg", photo_bytes(20, 20))], video=upload("v.mp4", mp4_bytes()))
    assert field_of(exc) == "video"
    with pytest.raises(DomainError) as exc:
        create(world, body="   ")
    assert field_of(exc) == "body"
    with pytest.raises(DomainError) as exc:
        create(world, body="长" * 2001)
    assert field_of(exc) == "body"
    assert not Post.objects.exists()


# --- video -------------------------------------------------------------------------------------


def test_mp4_and_webm_videos_are_recognised_by_content(world):
    mp4 = create(world, body="视频", video=upload("clip.MOV", mp4_bytes(), "video/quicktime"))
    assert mp4.video.name.endswith(".mp4") and feed.video_content_type(mp4) == "video/mp4"
    webm = create(world, body="视频", video=upload("clip.bin", webm_bytes()))
    assert webm.video.name.endswith(".webm")


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a video at all" * 10,  # text named .mp4
        mp4_bytes(brand=b"qt  "),  # a QuickTime .mov
        mp4_bytes(brand=b"heic"),  # a HEIF photo in an ISO box
        photo_bytes(20, 20),  # a JPEG
        b"\x1a\x45\xdf\xa3" + b"\x00" * 40 + b"matroska",  # Matroska, not WebM
    ],
)
def test_video_type_check_refuses_other_content(world, data):
    with pytest.raises(DomainError) as exc:
        create(world, body="视频", video=upload("clip.mp4", data, "video/mp4"))
    assert field_of(exc) == "video"
    assert not Post.objects.exists()


def test_video_over_200_mb_is_refused_before_reading(world):
    video = upload("big.mp4", mp4_bytes())
    video.size = feed.MAX_VIDEO_BYTES + 1
    with pytest.raises(DomainError) as exc:
        create(world, body="视频", video=video)
    assert "200 MB" in exc.value.message


# --- who posts where ---------------------------------------------------------------------------


def test_member_posts_to_own_branch_but_not_to_another(world):
    post = create(world, body="我们支部")
    assert post.unit == world.branch_a1 and post.author == world.people["member1"]
    with pytest.raises(PermissionDenied):  # the sibling branch is seen (same school) but not postable
        create(world, unit=world.branch_a2, body="别的支部")
    with pytest.raises(PermissionDenied):
        create(world, unit=world.college_a, body="学院")
    other_root = make_unit(name="另一所大学党委", code="X")
    with pytest.raises(Http404):  # another tree is not seen at all
        create(world, unit=other_root, body="外校")
    assert Post.objects.count() == 1


def test_group_member_may_post_to_the_branch_above(world):
    user = UserFactory()
    PersonFactory(unit=world.group_a1, user=user)
    assert feed.post_create(actor=user, unit_id=world.group_a1.pk, body="小组").unit == world.group_a1
    assert feed.post_create(actor=user, unit_id=world.branch_a1.pk, body="支部").unit == world.branch_a1


def test_officer_posts_to_any_unit_in_scope(world):
    officer = UserFactory()
    PersonFactory(unit=world.branch_a1, user=officer)
    grant(officer, world.college_a, Role.PUBLICITY_OFFICER)
    assert create(world, user=officer, unit=world.branch_a2, body="二支部").unit == world.branch_a2
    with pytest.raises(PermissionDenied):
        create(world, user=officer, unit=world.branch_b1, body="数学学院")


def test_users_not_on_the_roster_cannot_post(world):
    with pytest.raises(PermissionDenied):  # secretary1 has no person record
        create(world, user="secretary1", body="书记")
    with pytest.raises(PermissionDenied):
        create(world, user="sysadmin", body="系统")
    left = UserFactory()
    PersonFactory(unit=world.branch_a1, user=left, roster_status="left")
    with pytest.raises(PermissionDenied):
        create(world, user=left, body="已离校")


# --- meeting link ------------------------------------------------------------------------------


def test_meeting_link_must_be_of_the_unit_or_below(world):
    by = world.users["secretary1"]
    own = make_meeting(unit=world.branch_a1, created_by=by, status=MeetingStatus.HELD)
    group = make_meeting(unit=world.group_a1, created_by=by, status=MeetingStatus.SCHEDULED)
    sibling = make_meeting(unit=world.branch_a2, created_by=world.users["secretary2"], status=MeetingStatus.HELD)
    draft = make_meeting(unit=world.branch_a1, created_by=by, status=MeetingStatus.DRAFT)
    cancelled = make_meeting(unit=world.branch_a1, created_by=by, status=MeetingStatus.CANCELLED)

    assert create(world, body="会后合影", meeting_id=own.pk).meeting_id == own.pk
    assert create(world, body="小组会", meeting_id=group.pk).meeting_id == group.pk
    for bad in (sibling.pk, draft.pk, cancelled.pk, 999999, "abc", 2**40):
        with pytest.raises(DomainError) as exc:
            create(world, body="关联", meeting_id=bad)
        assert field_of(exc) == "meeting"
    assert Post.objects.count() == 2


# --- points, audit, search -----------------------------------------------------------------------


def test_points_awarded_once_and_creation_audited(world):
    post = create(world, body="支部志愿服务")
    events = PointEvent.objects.filter(source_type="news.post", source_id=str(post.pk))
    assert events.count() == 1 and events.get().person == world.people["member1"]
    # Paying again for the same post pays nothing (idempotent per source).
    assert (
        points.point_award(person=world.people["member1"], action="post", source_type="news.post", source_id=post.pk)
        is None
    )
    feed.post_like(actor=world.users["member1"], post_id=post.pk)
    assert PointEvent.objects.filter(source_type="news.post").count() == 1
    audit = AuditEvent.objects.get(action="news.post.create")
    assert audit.target_id == str(post.pk) and audit.changes["unit"]["new"] == world.branch_a1.pk


def test_post_search_text_is_written(world):
    post = create(world, body="学习二十大精神")
    post.refresh_from_db()
    assert post.search_text  # news.search.index_post ran in the same transaction


def test_pages_escape_the_text(world, login):
    post = create(world, body='<script>alert("x")</script>\n第二行')
    html = login(world.users["member1"]).get(f"/news/posts/{post.pk}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "<br>第二行" in html


def test_photo_grid_sizes_are_stored(world):
    post = create(world, photos=[upload(f"{i}.jpg", photo_bytes(1000, 800, gps=False)) for i in range(3)])
    assert list(post.photos.values_list("position", "width", "height")) == [
        (0, 1000, 800),
        (1, 1000, 800),
        (2, 1000, 800),
    ]
    with default_storage.open(post.photos.first().image.name) as fh:
        assert Image.open(io.BytesIO(fh.read())).size == (1000, 800)
