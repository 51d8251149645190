"""Pages of the dossier area: the documents panel of a case (uploads, generated texts), document
downloads, the printable dossier, public notices and the holiday calendar. Thin: reads through
``documents``/``notices`` selectors, writes through their services; a DomainError shows its
message with status 422 (409 for a state conflict) and nothing is written."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cloudbranch.core.errors import DomainError
from cloudbranch.core.forms import apply_domain_error
from cloudbranch.orgs.scoping import holds

from . import documents, notices
from .choices import DocumentKind, NoticeKind, RecordStatus
from .models import CalendarDay, StepRecord

PAGE_SIZE = 20


def _case_url(case_id: int) -> str:
    """The case page (cases area) when installed, else the documents page of the case."""
    try:
        return reverse("development:case_detail", args=[case_id])
    except NoReverseMatch:
        return reverse("development:documents", args=[case_id])


def _styled(form: forms.Form) -> forms.Form:
    for f in form.fields.values():
        if isinstance(f.widget, forms.Select):
            f.widget.attrs.setdefault("class", "form-select")
        elif not isinstance(f.widget, forms.CheckboxInput | forms.RadioSelect):
            f.widget.attrs.setdefault("class", "form-control")
    return form


# --- forms --------------------------------------------------------------------------------


def _record_choices(case) -> list[tuple[str, str]]:
    rows = (
        StepRecord.objects.filter(case=case, status=RecordStatus.VALID)
        .select_related("step")
        .order_by("step__number", "sequence")
    )
    return [("", "（不关联步骤）")] + [
        (
            str(r.pk),
            f"{r.step.number}. {r.step.name}{f'（第{r.sequence}次）' if r.step.repeatable else ''} {r.occurred_on:%Y-%m-%d}",
        )
        for r in rows
    ]


class UploadForm(forms.Form):
    file = forms.FileField(label="文件（PDF、JPG、PNG、DOCX，≤20 MB）")
    kind = forms.ChoiceField(label="材料类型", choices=DocumentKind.choices)
    title = forms.CharField(label="标题（可不填）", max_length=200, required=False)
    record = forms.ChoiceField(label="对应步骤", required=False)

    def __init__(self, *args, record_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record"].choices = record_choices
        self.fields["file"].widget.attrs["accept"] = ".pdf,.jpg,.jpeg,.png,.docx"
        _styled(self)


class GenerateForm(forms.Form):
    template = forms.ChoiceField(label="生成材料", choices=documents.GENERATOR_CHOICES)
    record = forms.ChoiceField(label="对应记录（默认最近一次）", required=False)

    def __init__(self, *args, record_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record"].choices = record_choices
        _styled(self)


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label="公示类型", choices=NoticeKind.choices)
    starts_on = forms.DateField(label="公示开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    workdays = forms.IntegerField(label="公示期（工作日）", min_value=1, max_value=notices.MAX_WORKDAYS)
    contact = forms.CharField(label="意见反映渠道（电话、邮箱或地点）", max_length=200, required=False)
    text = forms.CharField(
        label="公示内容（留空则按模板自动生成）", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class NoticeEditForm(forms.Form):
    text = forms.CharField(label="公示内容", widget=forms.Textarea(attrs={"rows": 12}))
    contact = forms.CharField(label="意见反映渠道", max_length=200, required=False)
    objections = forms.CharField(
        label="公示期间收到的意见（无则留空）", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


class CalendarForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(
        label="类型",
        choices=[("0", "节假日（周一至周五放假）"), ("1", "调休上班（周末上班）")],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label="说明", max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


# --- documents --------------------------------------------------------------------------


def _panel(request, case, *, upload_form=None, generate_form=None, error="", notice="", status=200):
    may_add = documents.may_add(request.user, case)
    choices = _record_choices(case) if may_add else []
    page = Paginator(documents.case_documents(request.user, case), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "case": case,
        "page": page,
        "may_add": may_add,
        "upload_form": upload_form or UploadForm(record_choices=choices),
        "generate_form": generate_form or GenerateForm(record_choices=choices),
        "error": error,
        "notice": notice,
        "case_url": _case_url(case.pk),
    }
    template = "development/document_panel.html" if request.htmx else "development/document_page.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def documents_panel(request, case_id: int):
    """GET: the documents of a case (HTMX fragment on the case page, or a page of its own).
    POST: upload a document (record_step at the case's unit)."""
    case = documents.access_case(request.user, case_id)
    if request.method == "GET":
        return _panel(request, case)
    if not documents.may_add(request.user, case):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES, record_choices=_record_choices(case))
    if not form.is_valid():
        return _panel(request, case, upload_form=form, error="请检查上传内容。", status=422)
    try:
        document = documents.document_upload(
            actor=request.user,
            case_id=case.pk,
            uploaded_file=form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
            record_id=form.cleaned_data["record"] or None,
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _panel(request, case, upload_form=form, error=exc.message, status=exc.status)
    return _done(request, case, f"已上传“{document.title}”。")


def _done(request, case, message: str):
    if request.htmx:
        return _panel(request, case, notice=message)
    messages.success(request, message)
    return redirect(reverse("development:documents", args=[case.pk]))


@require_POST
def document_generate(request, case_id: int):
    case = documents.access_case(request.user, case_id)
    if not documents.may_add(request.user, case):
        raise PermissionDenied
    form = GenerateForm(request.POST, record_choices=_record_choices(case))
    if not form.is_valid():
        return _panel(request, case, generate_form=form, error="请选择要生成的材料。", status=422)
    try:
        document = documents.document_generate(
            actor=request.user,
            case_id=case.pk,
            template=form.cleaned_data["template"],
            record_id=form.cleaned_data["record"] or None,
        )
    except DomainError as exc:
        apply_domain_error(form, exc)
        return _panel(request, case, generate_form=form, error=exc.message, status=exc.status)
    return _done(request, case, f"已生成“{document.title}”。")


@require_GET
def document_download(request, document_id: int):
    """An uploaded file as a download with its original name (``nosniff``, never rendered as a
    page of this site); a generated text as a printable page. 404 outside scope."""
    document = documents.access_document(request.user, document_id)
    if document.generated:
        return render(request, "development/document_text.html", {"document": document})
    if not document.file:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name or "材料",
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- dossier ----------------------------------------------------------------------------


@require_GET
def dossier(request, case_id: int):
    """The printable dossier (档案) of one case; each view is audited."""
    data = documents.dossier_view(user=request.user, case_id=case_id)
    return render(request, "development/dossier_page.html", {"d": data, "case_url": _case_url(data.case.pk)})


# --- public notices ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def notice_create(request, case_id: int):
    case = documents.access_case(request.user, case_id, action=documents.RECORD)
    if request.method == "GET":
        kind = request.GET.get("kind") if request.GET.get("kind") in NoticeKind.values else NoticeKind.CANDIDATE
        form = NoticeForm(
            initial={
                "kind": kind,
                "starts_on": timezone.localdate(),
                "workdays": case.rule_set.public_notice_workdays,
            }
        )
        return render(
            request, "development/notice_form.html", {"case": case, "form": form, "case_url": _case_url(case.pk)}
        )
    form = NoticeForm(request.POST)
    if form.is_valid():
        try:
            notice = notices.notice_create(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, f"公示已发布：{notice.starts_on:%Y-%m-%d} 至 {notice.ends_on:%Y-%m-%d}。")
            return redirect(reverse("development:notice_detail", args=[notice.pk]))
    else:
        status = 422
    return render(
        request,
        "development/notice_form.html",
        {"case": case, "form": form, "case_url": _case_url(case.pk)},
        status=status,
    )


@require_GET
def notice_board(request):
    """公示栏: current and recent notices of the viewer's college (or the manager's scope)."""
    today = timezone.localdate()
    page = Paginator(notices.notice_board(request.user, today=today), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "development/notice_board.html", {"page": page, "today": today})


@require_http_methods(["GET", "POST"])
def notice_detail(request, notice_id: int):
    """One notice; managers of the candidate's unit edit its text and record objections (POST)."""
    notice = notices.access_notice(request.user, notice_id)
    may_manage = notices.may_manage_notice(request.user, notice)
    form = None
    status = 200
    if may_manage:
        form = NoticeEditForm(initial={"text": notice.text, "contact": notice.contact, "objections": notice.objections})
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        form = NoticeEditForm(request.POST)
        if form.is_valid():
            try:
                notices.notice_update(actor=request.user, notice_id=notice.pk, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, "公示已保存。")
                return redirect(reverse("development:notice_detail", args=[notice.pk]))
        else:
            status = 422
    context = {
        "notice": notice,
        "form": form,
        "may_manage": may_manage,
        "today": timezone.localdate(),
        "case_url": _case_url(notice.case_id) if may_manage else "",
    }
    return render(request, "development/notice_detail.html", context, status=status)


# --- calendar ---------------------------------------------------------------------------


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@require_http_methods(["GET", "POST"])
def calendar(request):
    """节假日与调休: read by managers of development; changed by the root's administrator."""
    may_change = notices.may_change_calendar(request.user)
    if not (may_change or holds(request.user, documents.VIEW)):
        raise PermissionDenied
    year = _year(request.GET.get("year"))
    form = CalendarForm()
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                day = notices.calendar_day_add(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, f"已添加 {day.date:%Y-%m-%d}（{day.note}）。")
                return redirect(f"{reverse('development:calendar')}?year={day.date.year}")
        else:
            status = 422
    context = {
        "year": year,
        "days": list(notices.calendar_days(year)),
        "form": form,
        "may_change": may_change,
        "years": [year - 1, year, year + 1],
    }
    return render(request, "development/calendar_page.html", context, status=status)


@require_POST
def calendar_delete(request, day_id: int):
    if not notices.may_change_calendar(request.user):
        raise PermissionDenied
    day = CalendarDay.objects.filter(pk=day_id).first()
    if day is None:
        raise Http404
    notices.calendar_day_delete(actor=request.user, day_id=day.pk)
    messages.success(request, f"已删除 {day.date:%Y-%m-%d}（{day.note}）。")
    return redirect(f"{reverse('development:calendar')}?year={day.date.year}")
