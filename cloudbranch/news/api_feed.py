"""/api/news: the branch feed (活力直播台) through the same services and selectors as the pages.

The feed is keyset-paginated (``cursor`` from the previous page's ``next_cursor``), not by page
number: new posts arrive at the top all the time, and a page number would repeat or skip posts.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ObjectId

from . import feed

router = Router(tags=["宣传"])


class PhotoOut(Schema):
    id: int
    url: str
    width: int
    height: int


class PostOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    author_name: str
    body: str
    photos: list[PhotoOut]
    video_url: str | None
    meeting_id: int | None
    meeting_title: str | None
    like_count: int
    comment_count: int
    liked: bool
    hidden: bool
    created_at: datetime.datetime
    url: str


class FeedOut(Schema):
    items: list[PostOut]
    next_cursor: str | None


class FeedQuery(Schema):
    unit: ObjectId | None = Field(None, description="组织 id；默认为本人所在学院（二级党委）")
    scope: str = Field("subtree", pattern="^(subtree|unit)$", description="subtree：含下级组织；unit：仅本组织")
    cursor: str | None = Field(None, max_length=200, description="上一页返回的 next_cursor")
    limit: int = Field(feed.PAGE_SIZE, ge=1, le=feed.MAX_PAGE_SIZE)


class LikeOut(Schema):
    liked: bool
    like_count: int


class HideIn(Schema):
    reason: str = Field(..., max_length=feed.REASON_MAX)


def post_out(post) -> dict:
    return {
        "id": post.pk,
        "unit_id": post.unit_id,
        "unit_name": post.unit.name,
        "author_name": post.author.name,
        "body": post.body,
        "photos": [
            {"id": p.pk, "url": reverse("news:photo", args=[p.pk]), "width": p.width, "height": p.height}
            for p in post.photos.all()
        ],
        "video_url": reverse("news:post_video", args=[post.pk]) if post.video else None,
        "meeting_id": post.meeting_id,
        "meeting_title": post.meeting.title if post.meeting_id else None,
        "like_count": post.like_count,
        "comment_count": post.comment_count,
        "liked": bool(getattr(post, "liked", False)),
        "hidden": post.hidden,
        "created_at": post.created_at,
        "url": reverse("news:post", args=[post.pk]),
    }


@router.get("/feed", response={200: FeedOut, **READ_ERRORS, 422: WRITE_ERRORS[422]})
def feed_api(request, filters: Query[FeedQuery]):
    """The merged feed of a unit's subtree (or the unit's own posts), newest first."""
    unit = feed.access_feed_unit(request.user, filters.unit) if filters.unit else feed.default_feed_unit(request.user)
    if unit is None:
        raise PermissionDenied
    page = feed.feed_page(
        request.user, unit, only_unit=filters.scope == "unit", cursor=filters.cursor, limit=filters.limit
    )
    return {"items": [post_out(p) for p in page.posts], "next_cursor": page.next_cursor}


@router.get("/posts/{post_id}", response={200: PostOut, **READ_ERRORS})
def post_detail_api(request, post_id: ObjectId):
    return post_out(feed.access_post(request.user, post_id))


@router.post("/posts", response={201: PostOut, **WRITE_ERRORS})
def post_create_api(
    request,
    unit: Form[ObjectId],
    body: Form[str] = "",
    meeting: Form[ObjectId | None] = None,
    photos: File[list[UploadedFile]] = None,
    video: File[UploadedFile] = None,
):
    """Publish a post (multipart): text, up to 9 photos (``photos``, repeated) or one ``video``."""
    post = feed.post_create(
        actor=request.user, unit_id=unit, body=body, photos=photos or [], video=video, meeting_id=meeting
    )
    return 201, post_out(feed.access_post(request.user, post.pk))


@router.post("/posts/{post_id}/like", response={200: LikeOut, **WRITE_ERRORS})
def like_api(request, post_id: ObjectId):
    liked, count = feed.post_like(actor=request.user, post_id=post_id, like=True)
    return {"liked": liked, "like_count": count}


@router.delete("/posts/{post_id}/like", response={200: LikeOut, **WRITE_ERRORS})
def unlike_api(request, post_id: ObjectId):
    liked, count = feed.post_like(actor=request.user, post_id=post_id, like=False)
    return {"liked": liked, "like_count": count}


@router.post("/posts/{post_id}/hide", response={200: PostOut, **WRITE_ERRORS})
def hide_api(request, post_id: ObjectId, payload: HideIn):
    """Hide a post (moderators of its unit), with a reason (audited)."""
    feed.post_hide(actor=request.user, post_id=post_id, reason=payload.reason)
    return post_out(feed.access_post(request.user, post_id))


@router.post("/posts/{post_id}/unhide", response={200: PostOut, **WRITE_ERRORS})
def unhide_api(request, post_id: ObjectId):
    feed.post_unhide(actor=request.user, post_id=post_id)
    return post_out(feed.access_post(request.user, post_id))
