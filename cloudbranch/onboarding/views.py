"""Pages: activation and password reset (anonymous, phone first), invitations (officials)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import requires_grant

from . import flow, selectors, services
from .forms import ActivationForm, CodeForm, PasswordForm, ResetConfirmForm, ResetRequestForm, RosterFilterForm
from .models import Invitation, Purpose
from .services import INVITE_PERMISSION

PAGE_SIZE = 20
BACKEND = "django.contrib.auth.backends.ModelBackend"
ACTIVATION = Purpose.ACTIVATION
RESET = Purpose.RESET


def _page(request, template, context, *, status=200):
    return render(request, template, context, status=status)


# ---------------------------------------------------------------- activation


@login_not_required
@never_cache
def start(request):
    form = ActivationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = services.activation_check(
                    name=data["name"], id_number=data["id_number"], staff_number=data["staff_number"]
                )
                identity = services.activation_identity(data["id_number"])
                if services.code_required(person):
                    masked = services.code_send(person=person, purpose=ACTIVATION)
                    flow.start(
                        request,
                        purpose=ACTIVATION,
                        person_id=person.pk,
                        identity=identity,
                        stage="code",
                        masked_to=masked,
                    )
                    return redirect("onboarding:code")
                flow.start(request, purpose=ACTIVATION, person_id=person.pk, identity=identity, stage="password")
                return redirect("onboarding:password")
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
        else:
            status = 422
    return _page(request, "onboarding/start.html", {"form": form}, status=status)


@login_not_required
@never_cache
def code(request):
    state = flow.current(request, purpose=ACTIVATION, stage="code")
    if state is None:
        messages.info(request, "请先填写姓名、身份证号和学号/工号。")
        return redirect("onboarding:start")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and "resend" in request.POST:
        form = CodeForm()
        try:
            person = _person(state["p"])
            if person is None:
                raise DomainError(services.MISMATCH)
            services.code_send(person=person, purpose=ACTIVATION)
            messages.success(request, "验证码已重新发送。")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("onboarding:code")
    if request.method == "POST":
        if form.is_valid():
            try:
                services.code_verify(
                    person_id=state["p"], purpose=ACTIVATION, identity=state["i"], code=form.cleaned_data["code"]
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                flow.advance(request, state, stage="password")
                return redirect("onboarding:password")
        else:
            status = 422
    return _page(request, "onboarding/code.html", {"form": form, "masked_to": state.get("m", "")}, status=status)


def _person(person_id):
    from cloudbranch.people.models import Person

    return Person.objects.on_roster().filter(pk=person_id, user__isnull=True).first()


@login_not_required
@never_cache
def password(request):
    state = flow.current(request, purpose=ACTIVATION, stage="password")
    if state is None:
        messages.info(request, "请先填写姓名、身份证号和学号/工号。")
        return redirect("onboarding:start")
    form = PasswordForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.activation_complete(person_id=state["p"], password=form.cleaned_data["password1"])
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"password": "password1"})
                status = exc.status
            else:
                flow.end(request)
                login(request, user, backend=BACKEND)
                messages.success(request, f"账号已开通，用户名为 {user.username}。欢迎使用云端支部！")
                return redirect("core:home")
        else:
            status = 422
    return _page(request, "onboarding/password.html", {"form": form}, status=status)


# ---------------------------------------------------------------- password reset


@login_not_required
@never_cache
def reset(request):
    form = ResetRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                person_id = services.reset_request(staff_number=data["staff_number"], name=data["name"])
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.status
            else:
                identity = services.reset_identity(data["staff_number"])
                flow.start(request, purpose=RESET, person_id=person_id, identity=identity, stage="confirm")
                messages.info(request, services.RESET_ANSWER)
                return redirect("onboarding:reset_confirm")
        else:
            status = 422
    return _page(request, "onboarding/reset.html", {"form": form}, status=status)


@login_not_required
@never_cache
def reset_confirm(request):
    state = flow.current(request, purpose=RESET, stage="confirm")
    if state is None:
        return redirect("onboarding:reset")
    form = ResetConfirmForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.reset_complete(
                    person_id=state["p"],
                    identity=state["i"],
                    code=form.cleaned_data["code"],
                    password=form.cleaned_data["password1"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, field_map={"password": "password1"}, summary=True)
                status = exc.status
            else:
                flow.end(request)
                messages.success(request, "密码已重置，请用新密码登录。")
                return redirect("accounts:login")
        else:
            status = 422
    return _page(request, "onboarding/reset_confirm.html", {"form": form}, status=status)


# ---------------------------------------------------------------- invitations (officials)


def _filters(request):
    form = RosterFilterForm(request.GET or None)
    filters, unit = {}, None
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if k != "unit" and v}
        if form.cleaned_data.get("unit"):
            unit = selectors.access_unit(request.user, form.cleaned_data["unit"])
    return form, filters, unit


@requires_grant(INVITE_PERMISSION)
def invitations(request):
    form, filters, unit = _filters(request)
    selection = selectors.roster_selection(user=request.user, unit=unit, filters=filters)
    page = Paginator(selectors.activation_status(selection), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "unit": unit,
        "units": selectors.invitable_units(request.user),
        "page": page,
        "people": page.object_list,
        "counts": selectors.activation_counts(selection),
        "batches": selectors.batch_list(user=request.user)[:5],
    }
    template = "onboarding/invitations.html#rows" if request.htmx else "onboarding/invitations.html"
    return render(request, template, context)


@require_POST
@requires_grant(INVITE_PERMISSION)
def invitation_send(request):
    data = request.POST
    try:
        unit_id = int(data.get("unit") or 0) or None
    except ValueError:
        unit_id = None
    filters = {k: data.get(k, "") for k in ("political_status", "category")}
    try:
        batch = services.invitation_batch_create(actor=request.user, unit_id=unit_id, filters=filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("onboarding:invitations")
    messages.success(request, "邀请已开始发送。")
    return redirect("onboarding:batch_detail", batch_id=batch.pk)


@requires_grant(INVITE_PERMISSION)
def batch_detail(request, batch_id: int):
    batch = selectors.access_batch_by_id(request.user, batch_id)
    rows = Invitation.objects.filter(batch=batch).select_related("person__unit").order_by("person__name", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"batch": batch, "page": page, "invitations": page.object_list}
    template = "onboarding/batch_detail.html#progress" if request.htmx else "onboarding/batch_detail.html"
    return render(request, template, context)


@require_POST
@requires_grant(INVITE_PERMISSION)
def batch_rerun(request, batch_id: int):
    try:
        services.invitation_batch_rerun(actor=request.user, batch_id=batch_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已再次发送：已开通、近期已邀请和本批次已送达的人员会自动跳过。")
    return redirect("onboarding:batch_detail", batch_id=batch_id)
