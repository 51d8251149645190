"""Pages of the branch feed (活力直播台): the merged / unit feed with infinite scroll, a post, the
post form, likes, hiding, and the scoped photo and video files.

Thin: reads through ``feed`` selectors, writes through its services; DomainError → message on
the page with its status (422, 409), nothing written.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core import images
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.core.ranged import ranged_file_response

from . import feed
from .forms_feed import HideForm, PostForm

COMMENTS_TEMPLATE = "news/_comments.html"


def _comments_template() -> str | None:
    """The comments area's include, when that area has shipped it."""
    try:
        get_template(COMMENTS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return COMMENTS_TEMPLATE


def _feed_url(unit_id: int, *, only_unit: bool, cursor: str | None = None) -> str:
    params = {"unit": unit_id}
    if only_unit:
        params["scope"] = "unit"
    if cursor:
        params["cursor"] = cursor
    return f"{reverse('news:feed')}?{urlencode(params)}"


@require_GET
def feed_list(request):
    """/news/feed/?unit=&scope=unit|subtree&cursor= — newest first; HTMX requests with a cursor
    get the next items only (infinite scroll: the last item loads them when revealed)."""
    unit_param = request.GET.get("unit")
    unit = feed.access_feed_unit(request.user, unit_param) if unit_param else feed.default_feed_unit(request.user)
    if unit is None:
        raise PermissionDenied
    only_unit = request.GET.get("scope") == "unit"
    cursor = request.GET.get("cursor") or None
    try:
        page = feed.feed_page(request.user, unit, only_unit=only_unit, cursor=cursor)
    except DomainError:
        cursor = None
        page = feed.feed_page(request.user, unit, only_unit=only_unit)
    context = {
        "unit": unit,
        "page": page,
        "only_unit": only_unit,
        "next_url": _feed_url(unit.pk, only_unit=only_unit, cursor=page.next_cursor) if page.next_cursor else "",
    }
    if request.htmx and cursor:
        return render(request, "news/feed_list.html#items", context)
    context.update(
        {
            "units": feed.feed_unit_choices(request.user, unit),
            "can_post": feed.roster_person(request.user) is not None,
            "subtree_url": _feed_url(unit.pk, only_unit=False),
            "unit_url": _feed_url(unit.pk, only_unit=True),
        }
    )
    return render(request, "news/feed_list.html", context)


@require_http_methods(["GET", "POST"])
def post_create(request):
    if feed.roster_person(request.user) is None:
        raise PermissionDenied
    units = feed.postable_units(request.user)
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        units=units,
        meetings=feed.linkable_meetings(request.user, units),
        initial={"unit": request.GET.get("unit")},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                post = feed.post_create(
                    actor=request.user,
                    unit_id=data["unit"],
                    body=data["body"],
                    photos=data["photos"],
                    video=data["video"],
                    meeting_id=data["meeting"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "动态已发布。")
                home = feed.default_feed_unit(request.user)
                if home is not None and post.unit.path.startswith(home.path):
                    return redirect("news:feed")  # the viewer's usual feed, where the post now shows on top
                return redirect(_feed_url(post.unit_id, only_unit=False))
        else:
            status = 422
    return render(request, "news/post_form.html", {"form": form}, status=status)


def _post_context(request, post, **extra) -> dict:
    return {
        "post": post,
        "comments_template": _comments_template(),
        "can_moderate": feed.may_moderate(request.user, post),
        "hide_form": HideForm(),
        **extra,
    }


@require_GET
def post_detail(request, post_id: int):
    post = feed.access_post(request.user, post_id)
    return render(request, "news/post_detail.html", _post_context(request, post))


@require_POST
def post_like(request, post_id: int):
    """Toggle the viewer's like (``like=1`` / ``like=0`` to set it); HTMX gets the button back."""
    wanted = {"1": True, "0": False}.get(request.POST.get("like", ""))
    post = feed.access_post(request.user, post_id)
    status = 200
    error = ""
    try:
        liked, count = feed.post_like(actor=request.user, post_id=post.pk, like=wanted)
    except DomainError as exc:
        liked, count, status, error = post.liked, post.like_count, exc.status, exc.message
    post.liked, post.like_count = liked, count
    if request.htmx:
        return render(request, "news/post_like.html", {"post": post, "error": error}, status=status)
    if error:
        messages.error(request, error)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("news:post", args=[post.pk])
    return redirect(target)


@require_POST
def post_hide(request, post_id: int):
    form = HideForm(request.POST)
    reason = request.POST.get("reason", "")
    try:
        feed.post_hide(actor=request.user, post_id=post_id, reason=reason)
    except DomainError as exc:
        post = feed.access_post(request.user, post_id)
        form.is_valid()
        apply_domain_error(form, exc)
        context = _post_context(request, post, hide_form=form)
        return render(request, "news/post_detail.html", context, status=exc.status)
    messages.success(request, "动态已隐藏。")
    return redirect("news:post", post_id=post_id)


@require_POST
def post_unhide(request, post_id: int):
    try:
        feed.post_unhide(actor=request.user, post_id=post_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "动态已恢复显示。")
    return redirect("news:post", post_id=post_id)


@require_GET
def photo(request, photo_id: int):
    """A photo of a post the viewer sees (404 otherwise); always the cleaned re-encoded image."""
    item = feed.access_photo(request.user, photo_id)
    response = FileResponse(item.image.open("rb"), content_type=images.content_type_of(item.image.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
def post_video(request, post_id: int):
    """The video of a post the viewer sees, with Range support so that phones can seek."""
    post = feed.access_post(request.user, post_id)
    if not post.video:
        raise Http404
    content_type = feed.video_content_type(post)
    ext = ".webm" if content_type == "video/webm" else ".mp4"
    return ranged_file_response(request, post.video, content_type=content_type, filename=f"动态视频-{post.pk}{ext}")
