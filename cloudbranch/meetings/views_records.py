"""Pages of the records area: the records panel of a meeting, attachment downloads, the printable
record, talks and the yearly ledger. Thin: reads through records/ledger selectors, writes through
their services; DomainError → the message on the page with status 422 (409 for a state conflict)."""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import access_by_id, holds, requires_grant

from . import ledger as ledger_mod
from . import records

PAGE_SIZE = 20
MISSING_SHOWN = 200


# --- forms --------------------------------------------------------------------------------


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label="会议记录", required=False, widget=forms.Textarea(attrs={"rows": 10, "class": "form-control"})
    )
    decisions = forms.CharField(
        label="决议事项", required=False, widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"})
    )


class AmendmentForm(forms.Form):
    text = forms.CharField(label="更正内容", widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}))
    reason = forms.CharField(label="更正原因", max_length=500, widget=forms.TextInput(attrs={"class": "form-control"}))


class TalkForm(forms.Form):
    interviewer_id = forms.TypedChoiceField(label="谈话人（委员）", coerce=int)
    interviewee_id = forms.TypedChoiceField(label="谈话对象", coerce=int)
    held_on = forms.DateField(label="谈话日期", widget=forms.DateInput(attrs={"type": "date"}))
    topic = forms.CharField(label="主题", max_length=200)
    summary = forms.CharField(label="谈话要点", required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, interviewers=(), interviewees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["interviewer_id"].choices = [("", "请选择")] + [
            (s.person_id, f"{s.person.name}（{s.unit.name} {s.get_position_display()}）") for s in interviewers
        ]
        self.fields["interviewee_id"].choices = [("", "请选择")] + [(p.pk, p.name) for p in interviewees]
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _year(value) -> int:
    year = _int(value)
    return year if year and 2000 <= year <= 2100 else timezone.localdate().year


# --- records panel ------------------------------------------------------------------------


def _detail_url(meeting_id: int) -> str:
    try:
        return reverse("meetings:detail", args=[meeting_id])
    except NoReverseMatch:
        return reverse("meetings:print", args=[meeting_id])


def _panel(
    request, meeting, *, minutes_form=None, amendment_form=None, upload_error="", error="", notice="", status=200
):
    record = records.meeting_record(request.user, meeting)
    context = {
        "meeting": meeting,
        "record": record,
        "minutes_form": minutes_form
        or MinutesForm(initial={"minutes": meeting.minutes, "decisions": meeting.decisions}),
        "amendment_form": amendment_form or AmendmentForm(),
        "upload_error": upload_error,
        "error": error,
        "notice": notice,
    }
    return render(request, "meetings/records_panel.html", context, status=status)


def _after_write(request, meeting_id: int, message: str):
    if request.htmx:
        meeting = records.access_meeting(request.user, meeting_id)
        return _panel(request, meeting, notice=message)
    messages.success(request, message)
    return redirect(_detail_url(meeting_id))


def _refused(request, meeting_id: int, exc: DomainError, **forms_):
    meeting = records.access_meeting(request.user, meeting_id)
    if not request.htmx:
        messages.error(request, exc.message)
    return _panel(request, meeting, error=exc.message, status=exc.status, **forms_)


@require_GET
def records_panel(request, meeting_id: int):
    """HTMX fragment on the meeting page: minutes, decisions, attachments, amendments."""
    meeting = records.access_meeting(request.user, meeting_id)
    return _panel(request, meeting)


@require_POST
def minutes_save(request, meeting_id: int):
    form = MinutesForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        records.minutes_save(
            actor=request.user,
            meeting_id=meeting_id,
            minutes=data.get("minutes", ""),
            decisions=data.get("decisions", ""),
        )
    except DomainError as exc:
        return _refused(request, meeting_id, exc, minutes_form=form)
    return _after_write(request, meeting_id, "会议记录已保存。")


@require_POST
def amendment_add(request, meeting_id: int):
    form = AmendmentForm(request.POST)
    form.is_valid()
    try:
        records.minutes_amend(
            actor=request.user,
            meeting_id=meeting_id,
            text=request.POST.get("text", ""),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _refused(request, meeting_id, exc, amendment_form=form)
    return _after_write(request, meeting_id, "更正已追加。")


@require_POST
def attachment_upload(request, meeting_id: int):
    try:
        records.attachment_add(actor=request.user, meeting_id=meeting_id, uploaded_file=request.FILES.get("file"))
    except DomainError as exc:
        return _refused(request, meeting_id, exc, upload_error=exc.message)
    return _after_write(request, meeting_id, "附件已上传。")


@require_POST
def attachment_delete(request, attachment_id: int):
    attachment = records.access_attachment(request.user, attachment_id)
    meeting_id = attachment.meeting_id
    try:
        records.attachment_delete(actor=request.user, attachment_id=attachment_id)
    except DomainError as exc:
        return _refused(request, meeting_id, exc)
    return _after_write(request, meeting_id, "附件已删除。")


@require_GET
def attachment_download(request, attachment_id: int):
    """The stored file, for those who may read the meeting's record (404 outside scope, 403 for
    members who see the meeting but did not attend). Always a download with the original name
    and ``nosniff``, so an uploaded file can never run as a page of this site."""
    attachment = records.attachment_for_download(request.user, attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def print_record(request, meeting_id: int):
    """The printable record of one meeting (会议记录): readers of the record only."""
    meeting = records.access_meeting(request.user, meeting_id)
    if not records.may_read(request.user, meeting):
        raise PermissionDenied
    record = records.meeting_record(request.user, meeting)
    context = {
        "meeting": meeting,
        "record": record,
        "attendance": records.attendance_by_status(meeting),
        "joint_units": list(meeting.joint_units.order_by("path").only("id", "name")),
        "local_start": timezone.localtime(meeting.starts_at),
        "local_end": timezone.localtime(meeting.ends_at),
        "printed_at": timezone.localtime(),
    }
    return render(request, "meetings/records_print.html", context)


# --- talks --------------------------------------------------------------------------------


@require_GET
@requires_grant("meetings.view_talk")
def talk_list(request):
    user = request.user
    filters = {
        "unit": _int(request.GET.get("unit")),
        "year": _int(request.GET.get("year")),
        "person": (request.GET.get("person") or "").strip(),
    }
    page = Paginator(records.talk_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    units = records.talk_units(user)
    coverage = None
    unit = (
        next((u for u in units if u.pk == filters["unit"]), None) if filters["unit"] else (units[0] if units else None)
    )
    if unit is not None:
        year = filters["year"] or timezone.localdate().year
        covered, missing = records.talk_coverage(unit, year)
        total = covered + len(missing)
        coverage = {
            "unit": unit,
            "year": year,
            "covered": covered,
            "total": total,
            "percent": round(covered * 100 / total) if total else 100,
            "missing": missing[:MISSING_SHOWN],
            "missing_count": len(missing),
            "more": max(0, len(missing) - MISSING_SHOWN),
        }
    context = {
        "page": page,
        "filters": filters,
        "units": units,
        "coverage": coverage,
        "years": range(timezone.localdate().year, timezone.localdate().year - 6, -1),
        "can_add": holds(user, "meetings.add_talk"),
    }
    return render(request, "meetings/talk_list.html", context)


@require_http_methods(["GET", "POST"])
@requires_grant("meetings.add_talk")
def talk_create(request):
    """Record a talk: first the unit (GET ?unit=), then who with whom, when and what about."""
    from cloudbranch.orgs.models import OrgUnit

    user = request.user
    units = records.talk_units(user, perm="meetings.add_talk")
    unit_id = _int(request.POST.get("unit") or request.GET.get("unit")) or (units[0].pk if units else None)
    unit = access_by_id(user, OrgUnit, unit_id, action="meetings.add_talk") if unit_id else None
    interviewers = records.interviewer_choices(unit) if unit else []
    interviewees = records.interviewee_choices(unit) if unit else []
    form = TalkForm(
        request.POST or None,
        initial={"held_on": timezone.localdate()},
        interviewers=interviewers,
        interviewees=interviewees,
    )
    status = 200
    if request.method == "POST":
        if unit is not None and form.is_valid():
            data = form.cleaned_data
            try:
                records.talk_record(actor=user, unit_id=unit.pk, **data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, "谈心谈话已登记。")
                return redirect(f"{reverse('meetings:talks')}?unit={unit.pk}")
        status = 422
    context = {"form": form, "unit": unit, "units": units}
    return render(request, "meetings/talk_form.html", context, status=status)


# --- ledger -------------------------------------------------------------------------------


def _ledger_unit(request):
    units = records.talk_units(request.user, perm=ledger_mod.LEDGER_PERM)
    unit_id = _int(request.GET.get("unit")) or (units[0].pk if units else None)
    if unit_id is None:
        raise PermissionDenied
    return ledger_mod.access_ledger_unit(request.user, unit_id), units


@require_GET
@requires_grant(ledger_mod.LEDGER_PERM)
def ledger_page(request):
    unit, units = _ledger_unit(request)
    year = _year(request.GET.get("year"))
    data = ledger_mod.build_ledger(request.user, unit, year)
    context = {
        "ledger": data,
        "units": units,
        "years": range(timezone.localdate().year, timezone.localdate().year - 6, -1),
        "months": range(1, 13),
        "printed_on": timezone.localdate(),
    }
    return render(request, "meetings/ledger_page.html", context)


@require_GET
@requires_grant(ledger_mod.LEDGER_PERM)
def ledger_export(request):
    unit, _units = _ledger_unit(request)
    year = _year(request.GET.get("year"))
    data, _ledger = ledger_mod.ledger_export(actor=request.user, unit_id=unit.pk, year=year)
    response = HttpResponse(data, content_type=ledger_mod.XLSX_TYPE)
    name = quote(f"{unit.name}-{year}年组织生活台账.xlsx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response
