"""活力直播台, the branch feed (issue 8 item 3, SPEC §6): services and selectors.

Rules:
- Posting. A person on the roster posts to their own unit (and, when that unit is a Party group,
  to the branch above it); an officer holding ``news.add_article`` over a unit may post to it.
  Text at most 2000 characters (plain text, escaped on output); up to 9 photos (JPG / PNG / WebP,
  at most 10 MB each, recognised by content, EXIF stripped, turned upright, shrunk to 1600 px:
  ``cloudbranch.core.images``) OR one video (MP4 / WebM, at most 200 MB, recognised by its first
  bytes); optionally linked to a meeting held by the post's unit or a unit below it (checked on
  ``meetings.Meeting`` through the app registry: news and meetings are one layer). A post pays the
  "post" points once (``points.services.point_award`` is idempotent per source) and is audited.
- Seeing. Every logged-in person of the same tree (same root unit) sees a unit's posts, the feed
  being the branches' showcase; officers holding ``news.view_article`` or
  ``news.moderate_comment`` over the unit see them too (they may have no person record). A post
  hidden by a moderator (``news.moderate_comment`` over its unit; reason audited) is seen only by
  the moderators and its author, and leaves every feed. Anything else is a 404.
- Feeds: a unit's own posts, or the merged feed of its subtree (the default; the default unit is
  the viewer's college), newest first, keyset pagination on (created_at, id) so that a page never
  repeats or skips a post while new ones arrive; a constant number of queries per page.
- Likes: one per person and post (unique constraint), ``Post.like_count`` kept with F().
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, F, OuterRef, Prefetch, Q, Value
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core import images
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.choices import UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, granted_prefixes, scope_q
from cloudbranch.people.models import Person

from .models import Post, PostLike, PostPhoto
from .visibility import reader_of

VIEW = "news.view_article"
POST_ANY = "news.add_article"
MODERATE = "news.moderate_comment"

PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
BODY_MAX = 2000
MAX_PHOTOS = 9
PHOTO_MAX_SIDE = 1600
MAX_PHOTO_BYTES = images.MAX_IMAGE_BYTES
MAX_VIDEO_BYTES = 200 * images.MB
REASON_MAX = 200
MEETING_LINK_EXCLUDED = ("draft", "cancelled")  # meetings.choices.MeetingStatus (not imported: same layer)
MEETING_CHOICES_DAYS = 120

VIDEO_TYPES = {".mp4": "video/mp4", ".webm": "video/webm"}
# ISO base media brands of MP4 files (not QuickTime "qt  ", not HEIF images "heic"/"mif1").
MP4_BRANDS = {
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"mmp4",
    b"MSNV", b"f4v ",
}  # fmt: skip
PHOTO_HINT = "每张图片不超过 10 MB。"


# --- who sees what ------------------------------------------------------------------------------


def _root(path: str) -> str:
    return "/" + path.strip("/").split("/")[0] + "/" if path else ""


def _is_platform_duty(user) -> bool:
    return bool(getattr(user, "duty", ""))


def _officer_prefixes(user) -> tuple[str, ...]:
    return tuple(sorted(set(granted_prefixes(user, VIEW)) | set(granted_prefixes(user, MODERATE))))


def may_moderate(user, post: Post) -> bool:
    return can(user, MODERATE, post.unit)


def may_see_unit_feed(user, unit: OrgUnit) -> bool:
    """Whether ``user`` may read the feed of ``unit`` (and of every unit below it)."""
    if user is None or not user.is_authenticated or _is_platform_duty(user):
        return False
    prefixes = _officer_prefixes(user)
    if prefixes and unit.path.startswith(prefixes):
        return True
    reader = reader_of(user)
    return reader.person_id is not None and bool(reader.unit_path) and unit.path.startswith(reader.root_prefix)


def may_see_post(user, post: Post) -> bool:
    """The one rule for a post (``post.unit`` is read): see the module docstring."""
    if user is None or not user.is_authenticated or _is_platform_duty(user):
        return False
    if post.hidden:
        return may_moderate(user, post) or (
            reader_of(user).person_id is not None and reader_of(user).person_id == post.author_id
        )
    return may_see_unit_feed(user, post.unit)


def _post_qs(viewer_person_id: int | None):
    liked = (
        Exists(PostLike.objects.filter(post=OuterRef("pk"), person_id=viewer_person_id))
        if viewer_person_id
        else Value(False, output_field=BooleanField())
    )
    return (
        Post.objects.select_related("unit", "author", "meeting")
        .only(
            "id",
            "unit_id",
            "author_id",
            "body",
            "video",
            "meeting_id",
            "like_count",
            "comment_count",
            "hidden",
            "created_at",
            "unit__id",
            "unit__name",
            "unit__path",
            "author__id",
            "author__name",
            "meeting__id",
            "meeting__title",
            "meeting__starts_at",
        )  # fmt: skip
        .prefetch_related(Prefetch("photos", queryset=PostPhoto.objects.order_by("position", "id")))
        .annotate(liked=liked)
    )


def access_post(user, post_id) -> Post:
    """A post ``user`` may see, with its unit, author, meeting and photos, and ``liked``; else 404."""
    try:
        post = _post_qs(reader_of(user).person_id if user.is_authenticated else None).get(pk=int(post_id))
    except (Post.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not may_see_post(user, post):
        raise Http404
    return post


def access_feed_unit(user, unit_id) -> OrgUnit:
    try:
        unit = OrgUnit.objects.only("id", "name", "path", "kind", "parent_id").get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not may_see_unit_feed(user, unit):
        raise Http404
    return unit


def default_feed_unit(user) -> OrgUnit | None:
    """The viewer's college (the unit right under the root above their own unit; the root when
    their unit is the root), or, for an officer without a person record, the top unit of their
    news grants."""
    reader = reader_of(user)
    path = ""
    if reader.person_id is not None and reader.unit_path:
        ids = reader.unit_path.strip("/").split("/")
        path = "/" + "/".join(ids[:2]) + "/"
    else:
        prefixes = _officer_prefixes(user)
        if prefixes:
            path = min(prefixes, key=len)
    if not path:
        return None
    return OrgUnit.objects.only("id", "name", "path", "kind", "parent_id").filter(path=path).first()


# --- feed pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedPage:
    posts: list
    next_cursor: str | None


def encode_cursor(post: Post) -> str:
    raw = f"{post.created_at.isoformat()}|{post.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime.datetime, int]:
    bad = DomainError("分页游标无效，请从第一页重新加载", errors=[{"field": "cursor", "message": "分页游标无效"}])
    try:
        text = (cursor or "").strip()
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        stamp, pk = raw.rsplit("|", 1)
        at = datetime.datetime.fromisoformat(stamp)
        pk = int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if at.tzinfo is None or not (0 < pk < 2**63):
        raise bad
    return at, pk


def feed_page(user, unit: OrgUnit, *, only_unit: bool = False, cursor: str | None = None, limit: int = PAGE_SIZE):
    """One page of the feed of ``unit`` (its subtree, or the unit alone), newest first, after
    ``cursor`` (from the previous page's ``next_cursor``). The caller has checked ``unit``
    with ``access_feed_unit``. Queries: posts (with unit, author, meeting and the viewer's like)
    and their photos, whatever the number of posts."""
    limit = max(1, min(int(limit or PAGE_SIZE), MAX_PAGE_SIZE))
    qs = _post_qs(reader_of(user).person_id).filter(hidden=False)
    qs = qs.filter(unit_id=unit.pk) if only_unit else qs.filter(unit__path__startswith=unit.path)
    if cursor:
        at, pk = decode_cursor(cursor)
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return FeedPage(rows, encode_cursor(rows[-1]) if more and rows else None)


def feed_unit_choices(user, current: OrgUnit | None = None) -> list[OrgUnit]:
    """Units offered in the feed's unit picker: the viewer's root and colleges, the units above
    their own unit and the unit itself, plus officers' granted units (bounded list)."""
    reader = reader_of(user)
    q = Q(pk__in=[])
    if reader.person_id is not None and reader.unit_path:
        root = _root(reader.unit_path)
        q |= Q(path=root) | Q(parent__path=root, status=UnitStatus.ACTIVE)
        parts = reader.unit_path.strip("/").split("/")
        q |= Q(path__in=["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))])
    prefixes = _officer_prefixes(user)
    if prefixes:
        q |= Q(path__in=prefixes)
    if current is not None:
        q |= Q(pk=current.pk)
    return list(OrgUnit.objects.filter(q).only("id", "name", "path").order_by("path")[:60])


# --- posting ----------------------------------------------------------------------------------------


def roster_person(user) -> Person | None:
    """The user's person record if on the roster (with the unit), else None; cached on the user."""
    if user is None or not user.is_authenticated or _is_platform_duty(user):
        return None
    cached = getattr(user, "_cb_feed_person", False)
    if cached is False:
        cached = Person.objects.on_roster().select_related("unit").filter(user_id=user.pk).first()
        user._cb_feed_person = cached
    return cached


def _own_units_q(person: Person) -> Q:
    q = Q(pk=person.unit_id)
    if person.unit.kind == UnitKind.GROUP and person.unit.parent_id:
        q |= Q(pk=person.unit.parent_id)
    return q


def may_post_to(user, unit: OrgUnit, person: Person | None = None) -> bool:
    person = person if person is not None else roster_person(user)
    if person is None or unit.status != UnitStatus.ACTIVE:
        return False
    if unit.pk == person.unit_id or (person.unit.kind == UnitKind.GROUP and unit.pk == person.unit.parent_id):
        return True
    return can(user, POST_ANY, unit)


def postable_units(user) -> list[OrgUnit]:
    """Units the user may post to (their own; any active unit under an officer grant), bounded."""
    person = roster_person(user)
    if person is None:
        return []
    q = _own_units_q(person)
    prefixes = granted_prefixes(user, POST_ANY)
    if prefixes:
        q |= scope_q("path", prefixes)
    return list(OrgUnit.objects.filter(q, status=UnitStatus.ACTIVE).only("id", "name", "path").order_by("path")[:200])


def _meeting_model():
    return apps.get_model("meetings", "Meeting")


def linkable_meetings(user, units: list[OrgUnit], limit: int = 30) -> list:
    """Recent meetings (not drafts, not cancelled) of the given units' subtrees that the user
    sees, for the post form's meeting picker."""
    if not units:
        return []
    meeting = _meeting_model()
    since = timezone.now() - datetime.timedelta(days=MEETING_CHOICES_DAYS)
    qs = meeting.objects.all()
    if hasattr(qs, "restrict"):
        qs = qs.restrict(user, "view")
    return list(
        qs.filter(scope_q("unit__path", tuple(u.path for u in units)), starts_at__gte=since)
        .exclude(status__in=MEETING_LINK_EXCLUDED)
        .select_related("unit")
        .only("id", "title", "starts_at", "unit__id", "unit__name", "unit__path")
        .order_by("-starts_at", "-id")[:limit]
    )


def _check_meeting(meeting_id, unit: OrgUnit) -> int | None:
    if meeting_id in (None, ""):
        return None
    message = "关联的活动须是本组织或下级组织已通知、已召开或已归档的会议"
    try:
        pk = int(meeting_id)
    except (TypeError, ValueError):
        raise DomainError(message, errors=[{"field": "meeting", "message": message}]) from None
    exists = (
        _meeting_model()
        .objects.filter(pk=pk, unit__path__startswith=unit.path)
        .exclude(status__in=MEETING_LINK_EXCLUDED)
        .exists()
        if 0 < pk < 2**31
        else False
    )
    if not exists:
        raise DomainError(message, errors=[{"field": "meeting", "message": message}])
    return pk


def sniff_video(head: bytes) -> str | None:
    """``".mp4"`` / ``".webm"`` from a file's first bytes (ISO BMFF ``ftyp`` box with an MP4 brand;
    EBML header with DocType ``webm``), else None."""
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in MP4_BRANDS:
        return ".mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
        return ".webm"
    return None


def _check_video(uploaded) -> str:
    name = images.upload_name(uploaded, "视频")
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_VIDEO_BYTES:
        raise images.refuse(f"视频“{name}”超过 200 MB，不能上传。", field="video")
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    head = uploaded.read(64)
    if hasattr(uploaded, "seek"):
        uploaded.seek(0)
    ext = sniff_video(head)
    if ext is None:
        raise images.refuse(f"“{name}”不是有效的 MP4 或 WebM 视频。", field="video")
    return ext


def _clean_photos(photos) -> list[images.CleanImage]:
    cleaned = []
    for uploaded in photos:
        name = images.upload_name(uploaded)
        data = images.read_upload(
            uploaded, max_bytes=MAX_PHOTO_BYTES, too_big=f"图片“{name}”超过 10 MB，不能上传。", field="photos"
        )
        cleaned.append(images.clean_image(data, name, max_side=PHOTO_MAX_SIDE, field="photos", hint=PHOTO_HINT))
    return cleaned


def _index(post: Post) -> None:
    """Write the post's search text (news.search, the articles helper's module) when it exists."""
    try:
        from . import search
    except ImportError:  # pragma: no cover - the search module ships with the articles area
        return
    index_post = getattr(search, "index_post", None)
    if index_post is not None:
        index_post(post)


def post_create(*, actor, unit_id, body: str = "", photos=(), video=None, meeting_id=None) -> Post:
    """Publish a post; see the module docstring for the rules. 403 for a user not on the roster
    or posting to a unit they see but may not post to; 404 for a unit they do not see."""
    person = roster_person(actor)
    if person is None:
        raise PermissionDenied("只有在册人员才能发布动态")
    try:
        unit = OrgUnit.objects.only("id", "name", "path", "status", "kind", "parent_id").get(pk=int(unit_id))
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise DomainError("请选择发布到的组织", errors=[{"field": "unit", "message": "请选择发布到的组织"}]) from None
    if not may_see_unit_feed(actor, unit):
        raise Http404
    if not may_post_to(actor, unit, person):
        raise PermissionDenied("只能发布到本人所在支部（宣传委员、书记可发布到管理范围内的组织）")

    body = (body or "").replace("\r\n", "\n").strip()
    photos = [p for p in (photos or []) if p]
    errors = []
    if len(body) > BODY_MAX:
        errors.append({"field": "body", "message": f"内容不超过 {BODY_MAX} 字（现 {len(body)} 字）"})
    if len(photos) > MAX_PHOTOS:
        errors.append({"field": "photos", "message": f"最多上传 {MAX_PHOTOS} 张图片（现 {len(photos)} 张）"})
    if photos and video:
        errors.append({"field": "video", "message": "图片和视频只能二选一"})
    if not body and not photos and not video:
        errors.append({"field": "body", "message": "请填写内容，或上传图片、视频"})
    if errors:
        raise DomainError(errors[0]["message"], errors=errors)
    meeting_pk = _check_meeting(meeting_id, unit)
    video_ext = _check_video(video) if video else None
    cleaned = _clean_photos(photos)

    stored: list[str] = []
    post = Post(unit=unit, author=person, body=body, meeting_id=meeting_pk)
    try:
        with transaction.atomic():
            if video is not None:
                post.video.save(f"video{video_ext}", video, save=False)
                stored.append(post.video.name)
            post.save(force_insert=True)
            rows = []
            for position, clean in enumerate(cleaned):
                photo = PostPhoto(post=post, width=clean.width, height=clean.height, position=position)
                photo.image.save(f"photo{os.path.splitext(clean.name)[1]}", ContentFile(clean.data), save=False)
                stored.append(photo.image.name)
                rows.append(photo)
            PostPhoto.objects.bulk_create(rows)
            audit_record(
                actor=actor,
                action="news.post.create",
                target=_target(post),
                changes={
                    "unit": {"new": unit.pk},
                    "body": {"new": body[:200]},
                    "photos": {"new": len(rows)},
                    "video": {"new": bool(video_ext)},
                    "meeting": {"new": meeting_pk},
                },
            )
            _award(person, post)
            _index(post)
    except Exception:
        for name in stored:
            post.video.storage.delete(name)
        raise
    return post


def _award(person: Person, post: Post) -> None:
    from cloudbranch.points.services import point_award

    point_award(
        person=person, action="post", source_type="news.post", source_id=str(post.pk), occurred_at=post.created_at
    )


def _target(post: Post) -> tuple[str, str, str]:
    return ("news.post", str(post.pk), (post.body or "动态")[:50])


def _lock(post_id: int) -> Post:
    return Post.objects.select_for_update().select_related("unit").get(pk=post_id)


def post_hide(*, actor, post_id, reason: str) -> Post:
    """A moderator (``news.moderate_comment`` over the post's unit) hides a post with a reason:
    404 when the post is not seen, 403 when seen but not moderated by ``actor``, 409 if hidden."""
    post = access_post(actor, post_id)
    if not may_moderate(actor, post):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        message = f"请填写隐藏原因（不超过 {REASON_MAX} 字）"
        raise DomainError(message, errors=[{"field": "reason", "message": message}])
    with transaction.atomic():
        post = _lock(post.pk)
        if post.hidden:
            raise ConflictError("该动态已隐藏")
        Post.objects.filter(pk=post.pk).update(hidden=True)
        post.hidden = True
        audit_record(
            actor=actor,
            action="news.post.hide",
            target=_target(post),
            changes={"hidden": {"old": False, "new": True}, "reason": {"new": reason}},
        )
    return post


def post_unhide(*, actor, post_id) -> Post:
    """Show a hidden post again (the same moderators; 409 if it is not hidden)."""
    post = access_post(actor, post_id)
    if not may_moderate(actor, post):
        raise PermissionDenied
    with transaction.atomic():
        post = _lock(post.pk)
        if not post.hidden:
            raise ConflictError("该动态未被隐藏")
        Post.objects.filter(pk=post.pk).update(hidden=False)
        post.hidden = False
        audit_record(
            actor=actor,
            action="news.post.unhide",
            target=_target(post),
            changes={"hidden": {"old": True, "new": False}},
        )
    return post


def post_like(*, actor, post_id, like: bool | None = None) -> tuple[bool, int]:
    """Like (``like=True``), unlike (``False``) or toggle (``None``) a post the actor sees, as
    their person; returns (liked, like count). Idempotent: liking twice is one like."""
    post = access_post(actor, post_id)
    person_id = reader_of(actor).person_id
    if person_id is None:
        raise PermissionDenied("只有在册人员才能点赞")
    if post.hidden:
        raise ConflictError("该动态已隐藏，不能点赞")
    with transaction.atomic():
        existing = PostLike.objects.filter(post_id=post.pk, person_id=person_id).values_list("pk", flat=True).first()
        want = existing is None if like is None else bool(like)
        changed = False
        if want and existing is None:
            try:
                with transaction.atomic():
                    PostLike.objects.create(post_id=post.pk, person_id=person_id)
            except IntegrityError:
                pass  # a concurrent request of the same person liked it first
            else:
                Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
                changed = True
        elif not want and existing is not None:
            deleted, _ = PostLike.objects.filter(pk=existing).delete()
            if deleted:
                Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
                changed = True
        if changed:
            audit_record(actor=actor, action="news.post.like" if want else "news.post.unlike", target=_target(post))
        count = Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).get()
    return want, count


# --- serving files ------------------------------------------------------------------------------


def access_photo(user, photo_id) -> PostPhoto:
    """A photo of a post ``user`` may see, else 404."""
    try:
        photo = PostPhoto.objects.select_related("post__unit").get(pk=int(photo_id))
    except (PostPhoto.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not may_see_post(user, photo.post):
        raise Http404
    return photo


def video_content_type(post: Post) -> str:
    return VIDEO_TYPES.get(os.path.splitext(post.video.name)[1].lower(), "application/octet-stream")
