"""Pages of the posts area (志愿服务岗位). Thin: rules live in posts.py, signups.py, checkin.py;
reads in selectors_posts.py. A broken rule is shown on the page it came from (422 / 409),
nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core import qrtoken
from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import can, holds
from cloudbranch.people.selectors import own_person

from . import checkin, posts, selectors_posts, signups
from .choices import ContentType, PostStatus, ServiceArea, ShiftStatus, SignupStatus, Skill
from .forms_posts import HoursForm, ManualForm, PostForm, RateForm, ShiftForm

PAGE_SIZE = 20


def _status(exc: DomainError) -> int:
    return exc.status if exc.status in (409, 422, 429) else 422


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# --- lists and detail ----------------------------------------------------------------------


@require_GET
def post_list(request):
    user = request.user
    officer = holds(user, posts.VIEW)
    tab = request.GET.get("tab") or "open"
    if tab == "manage" and not officer:
        tab = "open"
    context = {"tab": tab, "officer": officer, "can_create": holds(user, posts.ADD)}
    if tab == "manage":
        status = request.GET.get("status", "")
        qs = selectors_posts.managed_posts(user, status=status)
        context.update(status=status, statuses=PostStatus.choices)
    else:
        person = own_person(user)
        area = request.GET.get("area", "")
        content = request.GET.get("content", "")
        date = parse_date(request.GET.get("date", "") or "") if request.GET.get("date") else None
        qs = selectors_posts.member_posts(
            person,
            area=area if area in ServiceArea.values else "",
            content_type=content if content in ContentType.values else "",
            date=date,
        )
        context.update(
            person=person, area=area, content=content, date=request.GET.get("date", ""),
            areas=ServiceArea.choices, contents=ContentType.choices,
        )  # fmt: skip
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors_posts.attach_upcoming_shifts(page.object_list)
    context["page"] = page
    template = "volunteering/posts_list.html"
    if request.htmx and request.htmx.target == "post-results":
        template += "#results"
    return render(request, template, context)


def _post_context(request, post, **extra) -> dict:
    user = request.user
    person = own_person(user)
    organizer = can(user, posts.ADD, post.unit)
    now = timezone.now()
    shifts = selectors_posts.post_shifts(post, person)
    for s in shifts:
        s.can_signup = (
            person is not None
            and post.status == PostStatus.OPEN
            and s.status == ShiftStatus.SCHEDULED
            and now <= s.signup_deadline
            and (s.mine is None or s.mine.status == SignupStatus.CANCELLED)
        )
        s.can_edit = (
            organizer
            and post.status in (PostStatus.DRAFT, PostStatus.OPEN)
            and s.status == ShiftStatus.SCHEDULED
            and s.starts_at > now
        )
        s.can_cancel = s.mine is not None and (
            s.mine.status == SignupStatus.WAITLISTED
            or (s.mine.status == SignupStatus.SIGNED_UP and now <= s.cancel_cutoff)
        )
    context = {
        "post": post,
        "shifts": shifts,
        "organizer": organizer,
        "confirmer": can(user, posts.CONFIRM, post.unit),
        "rating": selectors_posts.post_rating(post),
        "skill_labels": [Skill(v).label for v in post.skills if v in Skill.values],
        "person": person,
        "now": now,
        "error": "",
        "Status": SignupStatus,
        "PostStatus": PostStatus,
    }
    context.update(extra)
    return context


@require_GET
def post_detail(request, post_id: int):
    post = selectors_posts.visible_post(request.user, post_id)
    return render(request, "volunteering/post_detail.html", _post_context(request, post))


def _submit(request, form, save, *, ok: str, then, template: str, context: dict):
    """The shape of this module's form pages: a valid POST goes to ``save(cleaned_data)``; a domain
    error lands on the form (422, or 409 for a conflict) and an invalid form is a 422; on success
    the message ``ok`` and ``then(result)``, a redirect."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                result = save(form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = _status(exc)
            else:
                messages.success(request, ok)
                return then(result)
    return render(request, template, {"form": form, **context}, status=status)


@require_http_methods(["GET", "POST"])
def post_create(request):
    units = list(posts.units_for_posting(request.user))
    if not units:
        raise PermissionDenied  # holds the grant nowhere: the page exists, but not for them
    return _submit(
        request,
        PostForm(request.POST if request.method == "POST" else None, units=units),
        lambda data: posts.post_create(actor=request.user, unit_id=data.pop("unit"), **data),
        ok="岗位草稿已创建，请添加服务时段后发布。",
        then=lambda post: redirect("volunteering:shift_add", post.pk),
        template="volunteering/post_form.html",
        context={"post": None},
    )


@require_http_methods(["GET", "POST"])
def post_edit(request, post_id: int):
    post = posts.access_post(request.user, post_id, action=posts.ADD)
    initial = {f: getattr(post, f) for f in posts.EDITABLE}
    return _submit(
        request,
        PostForm(request.POST if request.method == "POST" else None, initial=initial, editing=True),
        lambda data: posts.post_update(actor=request.user, post_id=post.pk, **data),
        ok="岗位已保存。",
        then=lambda _post: redirect("volunteering:post", post.pk),
        template="volunteering/post_form.html",
        context={"post": post},
    )


def _post_action(request, post_id: int, action, ok: str, **kwargs):
    post = posts.access_post(request.user, post_id, action=posts.ADD)
    try:
        action(actor=request.user, post_id=post.pk, **kwargs)
    except DomainError as exc:
        post.refresh_from_db()
        context = _post_context(request, post, error=exc.message)
        return render(request, "volunteering/post_detail.html", context, status=_status(exc))
    messages.success(request, ok)
    return redirect("volunteering:post", post.pk)


@require_POST
def post_publish(request, post_id: int):
    return _post_action(request, post_id, posts.post_publish, "岗位已发布，党员可以报名了。")


@require_POST
def post_close(request, post_id: int):
    return _post_action(request, post_id, posts.post_close, "岗位已结束招募。")


@require_http_methods(["GET", "POST"])
def shift_add(request, post_id: int):
    post = posts.access_post(request.user, post_id, action=posts.ADD)
    another = "another" in request.POST
    return _submit(
        request,
        ShiftForm(request.POST if request.method == "POST" else None),
        lambda data: posts.shift_add(actor=request.user, post_id=post.pk, **data),
        ok="服务时段已添加。",
        then=lambda _shift: redirect("volunteering:shift_add" if another else "volunteering:post", post.pk),
        template="volunteering/shift_form.html",
        context={"post": post},
    )


@require_http_methods(["GET", "POST"])
def shift_edit(request, shift_id: int):
    shift = posts.access_shift(request.user, shift_id, action=posts.ADD)
    # The form shows minutes: prefill minutes, and send only what the organizer changed, so an
    # untouched time keeps its seconds and is not taken for a change.
    initial = {f: getattr(shift, f) for f in posts.SHIFT_EDITABLE}
    for f in ("starts_at", "ends_at", "signup_deadline", "cancel_cutoff"):
        initial[f] = initial[f].replace(second=0, microsecond=0)
    form = ShiftForm(request.POST if request.method == "POST" else None, initial=initial)
    return _submit(
        request,
        form,
        lambda data: posts.shift_update(
            actor=request.user, shift_id=shift.pk, **{f: data[f] for f in form.changed_data}
        ),
        ok="服务时段已修改。",
        then=lambda _shift: redirect("volunteering:post", shift.post_id),
        template="volunteering/shift_form.html",
        context={"post": shift.post, "shift": shift},
    )


@require_POST
def shift_cancel(request, shift_id: int):
    shift = posts.access_shift(request.user, shift_id, action=posts.ADD)
    try:
        posts.shift_cancel(actor=request.user, shift_id=shift.pk, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        post = posts.access_post(request.user, shift.post_id)
        context = _post_context(request, post, error=exc.message)
        return render(request, "volunteering/post_detail.html", context, status=_status(exc))
    messages.success(request, "时段已取消，已通知报名的志愿者。")
    return redirect("volunteering:post", shift.post_id)


# --- sign-up -------------------------------------------------------------------------------


@require_POST
def signup_create(request, shift_id: int):
    try:
        row = signups.signup(actor=request.user, shift_id=shift_id)
    except DomainError as exc:
        shift = posts.Shift.objects.filter(pk=shift_id).first()
        if shift is None:
            raise Http404 from None
        post = selectors_posts.visible_post(request.user, shift.post_id)
        return render(
            request,
            "volunteering/post_detail.html",
            _post_context(request, post, error=exc.message),
            status=_status(exc),
        )
    if row.status == SignupStatus.WAITLISTED:
        messages.warning(
            request,
            f"名额已满，您已进入候补名单（第 {signups.waitlist_position(row)} 位），有空位时将自动递补并通知您。",
        )
    else:
        messages.success(request, "报名成功！请按时到岗，开始前 30 分钟可扫码签到。")
    return redirect(_back(request, reverse("volunteering:post", args=[row.shift.post_id])))


@require_POST
def signup_cancel(request, signup_id: int):
    try:
        row = signups.signup_cancel(actor=request.user, signup_id=signup_id)
    except DomainError as exc:
        return render(
            request, "volunteering/my_service.html", _my_context(request, error=exc.message), status=_status(exc)
        )
    messages.success(request, "已取消报名。" if row.shift.status == ShiftStatus.SCHEDULED else "已取消。")
    return redirect(_back(request, reverse("volunteering:my_service")))


# --- roster, hours, evaluation -------------------------------------------------------------


def _roster_context(request, shift, **extra) -> dict:
    page = Paginator(selectors_posts.roster(shift), PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.shift = shift
        row.proposed = signups.proposed_hours(row, shift)
    counts = selectors_posts.seat_counts([shift.pk])[shift.pk]
    context = {
        "shift": shift,
        "post": shift.post,
        "page": page,
        "counts": counts,
        "now": timezone.now(),
        "confirmer": can(request.user, posts.CONFIRM, shift.post.unit),
        "organizer": can(request.user, posts.ADD, shift.post.unit),
        "Status": SignupStatus,
        "error": "",
        "hours_form": HoursForm(),
        "manual_form": ManualForm(),
    }
    context.update(extra)
    return context


@require_GET
def shift_roster(request, shift_id: int):
    shift = posts.access_shift(request.user, shift_id)
    return render(request, "volunteering/shift_roster.html", _roster_context(request, shift))


def _roster_action(request, signup_id: int, do, ok: str):
    row = signups.access_signup(request.user, signup_id)
    try:
        do(row)
    except DomainError as exc:
        shift = posts.access_shift(request.user, row.shift_id)
        context = _roster_context(request, shift, error=exc.message)
        return render(request, "volunteering/shift_roster.html", context, status=_status(exc))
    messages.success(request, ok.format(name=row.person.name))
    return redirect("volunteering:shift_roster", row.shift_id)


@require_POST
def hours_confirm(request, signup_id: int):
    form = HoursForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def do(row):
        if form.errors:
            raise DomainError("；".join(e for errs in form.errors.values() for e in errs))
        signups.hours_confirm(
            actor=request.user,
            signup_id=row.pk,
            hours=data.get("hours"),
            reason=data.get("reason", ""),
            rating=data.get("rating"),
            comment=data.get("comment", ""),
        )

    return _roster_action(request, signup_id, do, "已确认 {name} 的服务时长。")


@require_POST
def hours_confirm_bulk(request, shift_id: int):
    shift = posts.access_shift(request.user, shift_id, action=posts.CONFIRM)
    try:
        done = signups.hours_confirm_bulk(actor=request.user, shift_id=shift.pk)
    except DomainError as exc:
        context = _roster_context(request, shift, error=exc.message)
        return render(request, "volunteering/shift_roster.html", context, status=_status(exc))
    messages.success(request, f"已批量确认 {len(done)} 名志愿者的服务时长。")
    return redirect("volunteering:shift_roster", shift.pk)


@require_POST
def signup_absent(request, signup_id: int):
    return _roster_action(
        request,
        signup_id,
        lambda row: signups.mark_absent(actor=request.user, signup_id=row.pk),
        "已将 {name} 标记为缺席。",
    )


@require_POST
def signup_manual(request, signup_id: int):
    form = ManualForm(request.POST)

    def do(row):
        if not form.is_valid():
            raise DomainError("；".join(e for errs in form.errors.values() for e in errs))
        checkin.manual_record(actor=request.user, signup_id=row.pk, **form.cleaned_data)

    return _roster_action(request, signup_id, do, "已为 {name} 补录。")


@require_POST
def signup_rate_volunteer(request, signup_id: int):
    def do(row):
        signups.organizer_rate(
            actor=request.user,
            signup_id=row.pk,
            rating=request.POST.get("rating"),
            comment=request.POST.get("comment", ""),
        )

    return _roster_action(request, signup_id, do, "已评价 {name}。")


@require_POST
def signup_rate(request, signup_id: int):
    """The volunteer rates the post after their hours are confirmed."""
    try:
        signups.member_rate(
            actor=request.user,
            signup_id=signup_id,
            rating=request.POST.get("rating"),
            comment=request.POST.get("comment", ""),
        )
    except DomainError as exc:
        return render(
            request, "volunteering/my_service.html", _my_context(request, error=exc.message), status=_status(exc)
        )
    messages.success(request, "感谢您的评价！")
    return redirect(_back(request, reverse("volunteering:my_service")))


# --- check-in ------------------------------------------------------------------------------


def _qr_context(request, shift) -> dict:
    now = timezone.now()
    token = checkin.make_token(shift, now=now)
    url = request.build_absolute_uri(reverse("volunteering:checkin") + "?t=" + token)
    return {
        "shift": shift,
        "post": shift.post,
        "qr_svg": qrtoken.qr_svg(url),
        "checkin_url": url,
        "seconds_left": checkin.seconds_left_in_slot(now),
        "window_open": checkin.screen_open(shift, now),
        "counts": selectors_posts.seat_counts([shift.pk])[shift.pk],
        "checked_in": shift.signups.filter(checked_in_at__isnull=False).count(),
    }


@require_GET
def checkin_screen(request, shift_id: int):
    shift = posts.access_shift(request.user, shift_id, action=posts.CONFIRM)
    return render(request, "volunteering/checkin_screen.html", _qr_context(request, shift))


@require_GET
def checkin_qr(request, shift_id: int):
    shift = posts.access_shift(request.user, shift_id, action=posts.CONFIRM)
    return render(request, "volunteering/checkin_screen.html#qr", _qr_context(request, shift))


@require_http_methods(["GET", "POST"])
def checkin_page(request):
    """The volunteer's phone lands here from the QR code (?t=); the page posts the token at once
    (nothing changes on GET). First scan checks in, a later one checks out."""
    context = {"token": request.GET.get("t", ""), "result": None, "kind": "", "error": ""}
    status = 200
    if request.method == "POST":
        try:
            row, kind = checkin.scan(actor=request.user, token=request.POST.get("token", ""))
        except DomainError as exc:
            context["error"] = exc.message
            status = _status(exc)
        else:
            context["result"], context["kind"] = row, kind
        context["token"] = ""
    return render(request, "volunteering/checkin_page.html", context, status=status)


# --- my service ----------------------------------------------------------------------------


def _my_context(request, **extra) -> dict:
    person = own_person(request.user)
    now = timezone.now()
    context = {"person": person, "now": now, "error": "", "Status": SignupStatus}
    if person is None:
        context.update(upcoming=None, past=None, years=[], pending=[])
    else:
        upcoming = Paginator(selectors_posts.my_upcoming(person, now=now), PAGE_SIZE).get_page(request.GET.get("up"))
        for s in upcoming.object_list:
            s.can_cancel = s.status == SignupStatus.WAITLISTED or (
                s.status == SignupStatus.SIGNED_UP and now <= s.shift.cancel_cutoff
            )
        context.update(
            upcoming=upcoming,
            past=Paginator(selectors_posts.my_past(person, now=now), PAGE_SIZE).get_page(request.GET.get("page")),
            years=selectors_posts.my_hours_by_year(person),
            pending=list(selectors_posts.my_pending_evaluations(person)[:PAGE_SIZE]),
        )
        context["page"] = context["past"]
    context["rate_form"] = RateForm()
    context.update(extra)
    return context


@require_GET
def my_service(request):
    return render(request, "volunteering/my_service.html", _my_context(request))
