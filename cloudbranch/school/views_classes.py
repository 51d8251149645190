"""Pages of the classes area: class list, class detail with the syllabus, class and session
forms, course item picker, roster, enrolment (rule / list / one person) and withdrawals.
Thin: reads through ``selectors_classes`` and ``access``, writes through the services; a broken
rule is shown on the page (422, or 409 for a state conflict), nothing written."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import can, holds

from . import access, classes, enrolment
from . import selectors_classes as sel
from . import selectors_student as sel_student
from .choices import ClassStatus, EnrolmentStatus, SessionKind
from .forms_classes import (
    FIELD_MAP,
    ClassFilterForm,
    ClassForm,
    ListUploadForm,
    ReasonForm,
    RosterFilterForm,
    SessionForm,
)
from .models import Certificate, ClassSession, TrainingClass

PAGE_SIZE = 20
KIND_ICONS = {SessionKind.OFFLINE: "bi-people", SessionKind.ONLINE: "bi-laptop", SessionKind.LIVE: "bi-broadcast"}
STATUS_BADGES = {
    ClassStatus.DRAFT: "secondary",
    ClassStatus.ENROLLING: "info",
    ClassStatus.RUNNING: "primary",
    ClassStatus.FINISHED: "success",
    ClassStatus.CANCELLED: "danger",
}
ENROLMENT_BADGES = {
    EnrolmentStatus.ENROLLED: "primary",
    EnrolmentStatus.WAITLISTED: "warning",
    EnrolmentStatus.WITHDRAWAL_REQUESTED: "danger",
    EnrolmentStatus.WITHDRAWN: "secondary",
    EnrolmentStatus.PASSED: "success",
    EnrolmentStatus.FAILED: "dark",
}


# --- classes ---------------------------------------------------------------------------------


@login_required
@require_GET
def class_list(request):
    form = ClassFilterForm(request.GET)
    filters = form.filters()
    qs = sel.class_list(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.badge = STATUS_BADGES.get(c.status, "secondary")
        c.my_label = EnrolmentStatus(c.my_status).label if c.my_status else ""
    context = {
        "form": form,
        "page": page,
        "can_add": holds(request.user, access.ADD_CLASS),
    }
    if request.htmx and request.htmx.target == "class-rows":
        return render(request, "school/classes.html#rows", context)
    return render(request, "school/classes.html", context)


@login_required
@require_GET
def class_detail(request, class_id: int):
    tc = access.class_for_viewer(
        request.user,
        class_id,
        queryset=TrainingClass.objects.select_related("unit", "head_teacher", "exam_paper__unit"),
    )
    sessions = list(sel.sessions_of(tc))
    for s in sessions:
        s.icon = KIND_ICONS.get(s.kind, "bi-journal")
    tc.badge = STATUS_BADGES.get(tc.status, "secondary")
    manage = access.may_manage(request.user, tc)
    mine = access.enrolment_of(request.user, tc)
    now = timezone.now()
    exam = exam_action = None
    if mine is not None and tc.exam_paper_id:
        mine.training_class = tc
        exam = sel_student.final_exams(mine.person, [tc.exam_paper_id]).get(tc.exam_paper_id)
        exam_action = sel_student.exam_action(mine, exam, now)
    context = {
        "tc": tc,
        "sessions": sessions,
        "plan": sel.hours_plan(tc, sessions),
        "manage": manage,
        "icons": KIND_ICONS,
        "badges": STATUS_BADGES,
        "enrolment_badges": ENROLMENT_BADGES,
        "mine": mine,
        "exam": exam,
        "exam_action": exam_action,
        "now": now,
        "exam_manage": manage and tc.exam_paper_id and can(request.user, "learning.view_paper", tc.exam_paper.unit),
        "mine_certificate": Certificate.objects.filter(enrolment=mine).first() if mine else None,
        "counts": sel.roster_counts(tc),
        "pass_source": classes.PASS_HOURS_DEFAULTS.get(tc.kind, ("", ""))[1],
        "next_status": classes.ADVANCE.get(tc.status),
        "cancellable": tc.status in classes.CANCELLABLE,
        "reason_form": ReasonForm(),
    }
    return render(request, "school/class_detail.html", context)


def _class_form(request, form, *, tc=None, status=200):
    return render(
        request,
        "school/class_form.html",
        {"form": form, "tc": tc, "defaults": classes.PASS_HOURS_DEFAULTS},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def class_create(request):
    units = list(classes.creatable_units(request.user)[:500])
    if not units:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    today = timezone.localdate()
    form = ClassForm(
        request.POST if request.method == "POST" else None,
        units=units,
        initial={"year": today.year, "period_minutes": 45, "capacity": 50},
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                tc = classes.class_create(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map=FIELD_MAP, summary=True)
            else:
                messages.success(request, f"已创建培训班“{tc.title}”，请安排课程。")
                return redirect("school:class", class_id=tc.pk)
        return _class_form(request, form, status=422)
    return _class_form(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def class_edit(request, class_id: int):
    tc = access.class_for_manager(request.user, class_id)
    form = ClassForm(
        request.POST if request.method == "POST" else None, editing=True, initial=ClassForm.initial_for(tc)
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                classes.class_update(actor=request.user, class_id=tc.pk, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map=FIELD_MAP, summary=True)
                return _class_form(request, form, tc=tc, status=exc.status)
            messages.success(request, "已保存。")
            return redirect("school:class", class_id=tc.pk)
        return _class_form(request, form, tc=tc, status=422)
    return _class_form(request, form, tc=tc)


@login_required
@require_POST
def class_advance(request, class_id: int):
    action = request.POST.get("to", "")
    try:
        if action == "cancel":
            classes.class_cancel(actor=request.user, class_id=class_id, reason=request.POST.get("reason", ""))
            messages.success(request, "班次已取消，已通知学员。")
        else:
            classes.class_advance(actor=request.user, class_id=class_id, to=action)
            messages.success(request, "班次状态已更新。")
    except DomainError as exc:
        messages.error(request, exc.message)
        request.method = "GET"
        response = class_detail(request, class_id)
        response.status_code = exc.status
        return response
    return redirect("school:class", class_id=class_id)


# --- sessions --------------------------------------------------------------------------------


def _session_form(request, form, *, tc, session=None, status=200):
    return render(request, "school/session_form.html", {"form": form, "tc": tc, "session": session}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def session_create(request, class_id: int):
    tc = access.class_for_manager(request.user, class_id)
    form = SessionForm(request.POST if request.method == "POST" else None, replays=classes.replay_choices(tc)[:200])
    if request.method == "POST":
        if form.is_valid():
            try:
                session = classes.session_create(actor=request.user, class_id=tc.pk, **form.service_kwargs())
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"replay_id": "replay"}, summary=True)
                return _session_form(request, form, tc=tc, status=exc.status)
            messages.success(request, f"已添加课程“{session.title}”。")
            if session.kind == SessionKind.ONLINE:
                return redirect("school:course_items", session_id=session.pk)
            return redirect("school:class", class_id=tc.pk)
        return _session_form(request, form, tc=tc, status=422)
    return _session_form(request, form, tc=tc)


def _managed_session(request, session_id):
    from django.http import Http404

    session = ClassSession.objects.filter(pk=session_id).only("id", "training_class_id").first()
    if session is None:
        raise Http404
    tc = access.class_for_manager(request.user, session.training_class_id)
    session = ClassSession.objects.get(pk=session_id)
    session.training_class = tc
    return tc, session


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request, session_id: int):
    tc, session = _managed_session(request, session_id)
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        replays=classes.replay_choices(tc)[:200],
        editing=True,
        initial=SessionForm.initial_for(session),
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                classes.session_update(actor=request.user, session_id=session.pk, **form.service_kwargs(editing=True))
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"replay_id": "replay"}, summary=True)
                return _session_form(request, form, tc=tc, session=session, status=exc.status)
            messages.success(request, "课程已保存。")
            return redirect("school:class", class_id=tc.pk)
        return _session_form(request, form, tc=tc, session=session, status=422)
    return _session_form(request, form, tc=tc, session=session)


@login_required
@require_POST
def session_delete(request, session_id: int):
    tc, session = _managed_session(request, session_id)
    try:
        classes.session_delete(actor=request.user, session_id=session.pk)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("school:session_edit", session_id=session.pk)
    messages.success(request, "课程已删除。")
    return redirect("school:class", class_id=tc.pk)


@login_required
@require_http_methods(["GET", "POST"])
def course_items(request, session_id: int):
    tc, session = _managed_session(request, session_id)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                hours = request.POST.get("hours") or None
                classes.item_add(
                    actor=request.user, session_id=session.pk, resource_id=request.POST.get("resource"), hours=hours
                )
                messages.success(request, "已加入课程。")
            elif action == "update":
                classes.item_update(
                    actor=request.user, item_id=request.POST.get("item"), hours=request.POST.get("hours") or None
                )
                messages.success(request, "学时已修改。")
            elif action == "remove":
                classes.item_remove(actor=request.user, item_id=request.POST.get("item"))
                messages.success(request, "已移出课程。")
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        except (ValueError, ArithmeticError):
            messages.error(request, "学时格式不正确。")
            status = 422
        if status == 200:
            return redirect("school:course_items", session_id=session.pk)
        session.refresh_from_db()
    q = (request.GET.get("q") or "").strip()
    found = []
    if q:
        found = [
            (r, classes.hours_for_resource(r, tc.period_minutes))
            for r in classes.usable_resources(tc)
            .filter(title__icontains=q)
            .exclude(pk__in=session.items.values("resource_id"))
            .order_by("-published_at", "-id")[:20]
        ]
    context = {
        "tc": tc,
        "session": session,
        "items": list(session.items.select_related("resource")),
        "found": found,
        "q": q,
    }
    if request.htmx and request.htmx.target == "found":
        return render(request, "school/course_items.html#found", context)
    return render(request, "school/course_items.html", context, status=status)


# --- roster ----------------------------------------------------------------------------------


@login_required
@require_GET
def roster(request, class_id: int):
    tc = access.class_for_viewer(request.user, class_id)
    form = RosterFilterForm(request.GET)
    status = q = ""
    if form.is_valid():
        status, q = form.cleaned_data.get("status") or "", form.cleaned_data.get("q") or ""
    qs = sel.roster(user=request.user, training_class=tc, status=status or None, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for e in page.object_list:
        e.badge = ENROLMENT_BADGES.get(e.status, "secondary")
    context = {
        "tc": tc,
        "page": page,
        "status": status,
        "q": q,
        "statuses": EnrolmentStatus.choices,
        "manage": access.may_manage(request.user, tc),
        "badges": ENROLMENT_BADGES,
    }
    if request.htmx and request.htmx.target == "roster-rows":
        return render(request, "school/roster.html#rows", context)
    context["counts"] = sel.roster_counts(tc)
    return render(request, "school/roster.html", context)


# --- enrolment -------------------------------------------------------------------------------


def _rule_from(request, tc):
    rule = dict(tc.enrolment_rule or {})
    raw = request.POST.get("since_months") if request.method == "POST" else request.GET.get("since_months")
    if raw is not None:
        raw = raw.strip()
        if raw:
            rule["since_months"] = int(raw) if raw.isdigit() else raw
        else:
            rule.pop("since_months", None)
    return rule


@login_required
@require_http_methods(["GET", "POST"])
def enrol_rule(request, class_id: int):
    tc = access.class_for_manager(request.user, class_id)
    rule = _rule_from(request, tc)
    status = 200
    if request.method == "POST":
        try:
            plan = enrolment.rule_confirm(
                actor=request.user, class_id=tc.pk, fingerprint=request.POST.get("fingerprint", ""), rule=rule
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = exc.status
        else:
            c = plan.counts()
            messages.success(request, f"已编入 {c['enrolled']} 人，候补 {c['waitlisted']} 人。")
            return redirect("school:roster", class_id=tc.pk)
    plan = error = None
    try:
        plan = enrolment.rule_preview(actor=request.user, class_id=tc.pk, rule=rule)
    except DomainError as exc:
        error = exc
        status = status if status != 200 else exc.status
    context = {"tc": tc, "plan": plan, "error": error, "rule": rule, "rule_json": json.dumps(rule, ensure_ascii=False)}
    return render(request, "school/enrol_rule.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def enrol_list(request, class_id: int):
    tc = access.class_for_manager(request.user, class_id)
    form = ListUploadForm()
    context = {"tc": tc, "form": form, "plan": None}
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("confirm"):
                numbers = request.POST.get("numbers", "").split(",")
                plan = enrolment.list_confirm(
                    actor=request.user, class_id=tc.pk, numbers=numbers, fingerprint=request.POST.get("fingerprint", "")
                )
                c = plan.counts()
                messages.success(request, f"已导入：编入 {c['enrolled']} 人，候补 {c['waitlisted']} 人。")
                return redirect("school:roster", class_id=tc.pk)
            form = ListUploadForm(request.POST, request.FILES)
            context["form"] = form
            if not form.is_valid():
                raise DomainError("请选择名单文件。")
            numbers = enrolment.parse_list_file(form.cleaned_data["file"].read())
            plan = enrolment.list_preview(actor=request.user, class_id=tc.pk, numbers=numbers)
            context |= {"plan": plan, "numbers": ",".join(numbers)}
            if plan.errors:
                status = 422
        except DomainError as exc:
            messages.error(request, exc.message)
            context["errors"] = exc.errors
            status = exc.status
    return render(request, "school/enrol_list.html", context, status=status)


@login_required
@require_GET
def enrol_template(request):
    response = HttpResponse(enrolment.list_template(), content_type=enrolment.XLSX_TYPE)
    response["Content-Disposition"] = (
        "attachment; filename*=UTF-8''%E5%AD%A6%E5%91%98%E5%90%8D%E5%8D%95%E6%A8%A1%E6%9D%BF.xlsx"
    )
    return response


@login_required
@require_POST
def enrol_add(request, class_id: int):
    person_id = request.POST.get("person", "").strip()
    number = request.POST.get("staff_number", "").strip()
    try:
        if not person_id and number:
            tc = access.class_for_manager(request.user, class_id)
            ids = list(enrolment.roster_people(tc).filter(staff_number=number).values_list("pk", flat=True)[:2])
            if len(ids) != 1:
                raise DomainError(f"学号工号“{number}”在本班招收范围内{'不存在' if not ids else '对应多人'}。")
            person_id = ids[0]
        e = enrolment.enrol_add(actor=request.user, class_id=class_id, person_id=person_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已添加 {e.person.name}（{e.get_status_display()}）。")
    return redirect("school:roster", class_id=class_id)


@login_required
@require_POST
def withdraw_request(request, enrolment_id: int):
    try:
        e = enrolment.withdraw_request(
            actor=request.user, enrolment_id=enrolment_id, reason=request.POST.get("reason", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        from .models import Enrolment

        class_id = (
            Enrolment.objects.filter(pk=enrolment_id, person__user_id=request.user.pk)
            .values_list("training_class_id", flat=True)
            .first()
        )
        return redirect("school:class", class_id=class_id) if class_id else redirect("school:classes")
    messages.success(
        request,
        "已提交退学申请，等待班主任审批。" if e.status == EnrolmentStatus.WITHDRAWAL_REQUESTED else "已退出候补名单。",
    )
    return redirect("school:class", class_id=e.training_class_id)


@login_required
@require_POST
def withdraw_decide(request, enrolment_id: int):
    approve = request.POST.get("decision") == "approve"
    try:
        e, promoted = enrolment.withdraw_decide(
            actor=request.user, enrolment_id=enrolment_id, approve=approve, comment=request.POST.get("comment", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        from .models import Enrolment

        class_id = Enrolment.objects.filter(pk=enrolment_id).values_list("training_class_id", flat=True).first()
        return redirect("school:roster", class_id=class_id) if class_id else redirect("school:classes")
    note = f"，{promoted[0].person.name} 已从候补递补" if promoted else ""
    messages.success(request, ("已批准退学" + note) if approve else "已驳回退学申请。")
    return redirect("school:roster", class_id=e.training_class_id)
