from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError

from . import selectors, services

PAGE_SIZE = 20


def inbox(request):
    show = "unread" if request.GET.get("show") == "unread" else "all"
    qs = selectors.notification_list(user=request.user, unread_only=show == "unread")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "show": show, "unread": selectors.unread_count(request.user)}
    template = "notifications/_inbox_list.html" if request.htmx else "notifications/inbox.html"
    return render(request, template, context)


@require_POST
def open_notification(request, notification_id: int):
    """Mark read, then go where the notification points (only to this site), else back to the inbox."""
    notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@require_POST
def mark_all_read(request):
    n = services.notification_mark_all_read(user=request.user)
    messages.success(request, f"已将 {n} 条消息标为已读。" if n else "没有未读消息。")
    return redirect("notifications:inbox")


@require_GET
@never_cache
def badge(request):
    """The unread count in the navbar, loaded by base.html on every page: one query."""
    return render(request, "notifications/badge.html", {"unread": selectors.unread_count(request.user)})


@require_http_methods(["GET", "POST"])
def preferences(request):
    status = 200
    if request.method == "POST":
        grid = selectors.preference_grid(request.user)
        values = {
            (row["category"], cell["channel"]): f"{row['category']}:{cell['channel']}" in request.POST
            for row in grid["rows"]
            for cell in row["cells"]
            if not cell["locked"]
        }
        try:
            changed = services.preferences_set(user=request.user, values=values)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 422
        else:
            messages.success(request, "通知设置已保存。" if changed else "设置没有变化。")
            return redirect("notifications:preferences")
    return render(
        request, "notifications/preferences.html", {"grid": selectors.preference_grid(request.user)}, status=status
    )
