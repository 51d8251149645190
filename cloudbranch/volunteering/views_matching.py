"""Pages of the matching area: my volunteer profile, posts recommended to me, members matched to
an organizer's post (with invitations) and the unit's service statistics. Thin: reads and writes
through profile.py, matching.py and stats.py."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import requires_grant

from . import matching, profile, stats
from .forms_matching import InviteForm, ProfileForm

PAGE_SIZE = 20
RECOMMEND_MAX = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _own_person(request):
    try:
        return profile.own_person_or_error(request.user)
    except DomainError:
        return None


# --- my profile --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def profile_page(request):
    person = _own_person(request)
    current = profile.profile_of(person)
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                profile.profile_update(
                    actor=request.user,
                    skills=form.cleaned_data["skills"],
                    free_slots=form.cleaned_data["free_slots"],
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = 422
            else:
                flash.success(request, "志愿者档案已保存，推荐岗位已按新的特长和空闲时间更新。")
                return redirect("volunteering:recommend")
        else:
            status = 422
    else:
        form = ProfileForm(
            initial={
                "skills": current.skills if current else [],
                "free_slots": current.free_slots if current else [],
                "note": current.note if current else "",
            }
        )
    chosen = set(form["free_slots"].value() or [])
    grid = [(day, [(value, part, value in chosen) for value, part in parts]) for day, parts in profile.slot_grid()]
    ctx = {"form": form, "person": person, "profile": current, "grid": grid}
    return render(request, "volunteering/profile_page.html", ctx, status=status)


# --- posts for me ------------------------------------------------------------------------------


@require_GET
def recommend_page(request):
    person = _own_person(request)
    recs = matching.recommend_posts(person, now=timezone.now(), limit=RECOMMEND_MAX)
    page = Paginator(recs, PAGE_SIZE).get_page(request.GET.get("page"))
    for m in page.object_list:
        m.url = matching.post_url(m.post.pk)
    ctx = {
        "person": person,
        "page": page,
        "matches": page.object_list,
        "note": recs.note,
        "has_profile": recs.has_profile,
    }
    return render(request, "volunteering/recommend_page.html", ctx)


# --- members for a post ------------------------------------------------------------------------


@require_GET
def post_match(request, post_id: int):
    post = matching.access_post(request.user, post_id)
    found = matching.recommend_members(post, now=timezone.now(), limit=None)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "post": post,
        "page": page,
        "matches": page.object_list,
        "post_url": matching.post_url(post.pk),
        "may_invite": post.status == "open",
    }
    return render(request, "volunteering/match_page.html", ctx)


@require_POST
def post_invite(request, post_id: int):
    post = matching.access_post(request.user, post_id, action=matching.INVITE_PERM)
    form = InviteForm(request.POST)
    person_id = request.POST.get("person_id")
    status, message, person = 200, "", None
    if not form.is_valid():
        status, message = 422, "请选择要邀请的人员。"
    else:
        try:
            person = matching.post_invite(actor=request.user, post=post, person_id=form.cleaned_data["person_id"])
        except DomainError as exc:
            status, message = exc.status, exc.message
    if request.htmx:
        ctx = {"post": post, "person_id": person_id, "invited": person is not None, "message": message}
        return render(request, "volunteering/match_invite.html", ctx, status=status)
    if person is None:
        ctx = {"post": post, "message": message, "back": reverse("volunteering:post_match", args=[post.pk])}
        return render(request, "volunteering/match_invite_page.html", ctx, status=status)
    flash.success(request, f"已向{person.name}发送邀请。")
    return redirect("volunteering:post_match", post_id=post.pk)


# --- statistics --------------------------------------------------------------------------------


def _report(request):
    unit_id = request.GET.get("unit")
    unit = stats.access_stats_unit(request.user, unit_id) if unit_id else stats.default_stats_unit(request.user)
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        raise Http404 from None
    if not 2000 <= year <= this_year + 1:
        raise Http404
    return stats.unit_stats(unit, year), this_year


@requires_grant(stats.REPORT_PERM)
@require_GET
def stats_page(request):
    report, this_year = _report(request)
    ctx = {
        "report": report,
        "unit": report.unit,
        "units": list(stats.stats_units(request.user)[:200]),
        "years": list(range(this_year, this_year - 6, -1)),
    }
    return render(request, "volunteering/stats_page.html", ctx)


@requires_grant(stats.REPORT_PERM)
@require_GET
def stats_export(request):
    report, _ = _report(request)
    response = HttpResponse(stats.report_xlsx(report), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="service-stats-{report.unit.pk}-{report.year}.xlsx"'
    return response
