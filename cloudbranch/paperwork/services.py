"""Templates (check, upload, activate), generation of one document, and bulk batches.

Who may do what:

* **replace templates** (upload, activate): ``paperwork.change_documenttemplate`` (the
  organization department, ORG_ADMIN) — templates serve the whole school.
* **read the catalogue** and **bulk-generate** under a unit: ``paperwork.view_documenttemplate`` /
  ``paperwork.add_documentbatch`` (managing roles); a batch is seen in the scope of the latter
  (404 outside). The objects of a batch are those the creator may generate one by one.
* **generate one document**: whoever may see the object on its own page, with the same rules
  (``contexts.SPECS[kind].access``). Every generation is audited (documents carry personal data).
"""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can, holds

from . import catalogue
from .builders import default_template
from .choices import BatchStatus, DocumentKind
from .contexts import SPECS, safe_name
from .models import DocumentBatch, DocumentTemplate

CHANGE_PERM = "paperwork.change_documenttemplate"
VIEW_PERM = "paperwork.view_documenttemplate"
BATCH_PERM = "paperwork.add_documentbatch"

MB = 1024 * 1024
MAX_TEMPLATE_BYTES = 5 * MB
MAX_BATCH_OBJECTS = 500
BATCH_KEEP_DAYS = 7
PDF_TIMEOUT_SECONDS = 60
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
ZIP_TYPE = "application/zip"
NO_LIBREOFFICE = "服务器未安装 LibreOffice，暂不能生成 PDF，请下载 Word 版本。"


def _refuse(message: str, field: str = "file") -> DomainError:
    return DomainError(message, errors=[{"field": field, "message": message}])


def check_kind(kind: str) -> str:
    if kind not in DocumentKind.values:
        raise _refuse("未知的文书类型。", "kind")
    return kind


# --- rendering ----------------------------------------------------------------------------------


def _env(*, strict: bool = False) -> jinja2.Environment:
    """Templates are uploaded by people: rendered in Jinja's sandbox (no attribute tricks)."""
    return SandboxedEnvironment(undefined=jinja2.StrictUndefined if strict else jinja2.Undefined)


def render_docx(template: bytes, context: dict, *, strict: bool = False) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(context, jinja_env=_env(strict=strict), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def active_template(kind: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(kind=kind, is_active=True).first()


def template_bytes(kind: str) -> bytes:
    """The active uploaded template of ``kind``, else the built-in default."""
    row = DocumentTemplate.objects.filter(kind=kind, is_active=True).values_list("content", flat=True).first()
    return bytes(row) if row is not None else default_template(kind)


# --- checking an uploaded template -----------------------------------------------------------------

_DOCXTPL_TAG = re.compile(r"\{%-?\s*(p|tr|tc|r)\s")
_DOCXTPL_VAR = re.compile(r"\{\{-?\s*(p|tr|tc|r)\s")
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _paragraph_lines(tpl: DocxTemplate) -> str:
    """The document's paragraphs (table cells included, in order), one per line, with docxtpl's
    paragraph/row/cell/run tags made plain Jinja: a syntax error's line is the paragraph's."""
    body = tpl.get_docx().element.body
    lines = []
    for p in body.iter(f"{W_NS}p"):
        line = "".join(t.text or "" for t in p.iter(f"{W_NS}t"))
        line = _DOCXTPL_TAG.sub("{% ", line)
        lines.append(_DOCXTPL_VAR.sub("{{ ", line))
    return "\n".join(lines)


def _syntax_error(lineno, message: str) -> DomainError:
    where = f"模板第 {lineno} 行附近" if lineno else "模板中"
    return _refuse(f"{where}语法错误：{message}")


def template_check(kind: str, data: bytes) -> None:
    """Refuse (DomainError, nothing written) anything but a .docx of at most 5 MB whose
    placeholders are all in the kind's catalogue and which renders with the example context."""
    check_kind(kind)
    if not data:
        raise _refuse("上传的文件是空的。")
    if len(data) > MAX_TEMPLATE_BYTES:
        raise _refuse("模板文件过大（最大 5 MB）。")
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse("文件不是 Word（.docx）文档，请上传 .docx 格式的模板。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
    except zipfile.BadZipFile:
        raise _refuse("文件已损坏或不是 Word（.docx）文档。") from None
    if "word/document.xml" not in names:
        raise _refuse("文件中缺少 word/document.xml，不是有效的 Word（.docx）文档。")
    try:
        tpl = DocxTemplate(io.BytesIO(data))
        text = _paragraph_lines(tpl)
    except Exception:  # noqa: BLE001 - python-docx raises many kinds on a broken package
        raise _refuse("无法读取该 Word 文档，请用 Word 或 WPS 重新保存为 .docx 后上传。") from None
    env = _env()
    try:
        env.parse(text)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(exc.lineno, exc.message or str(exc)) from None
    try:
        used = tpl.get_undeclared_template_variables(jinja_env=env)
    except jinja2.TemplateSyntaxError as exc:
        raise _syntax_error(None, exc.message or str(exc)) from None
    unknown = sorted(set(used) - catalogue.roots(kind))
    if unknown:
        raise _refuse(
            f"模板使用了未定义的字段：{'、'.join(unknown)}。可用字段见“字段清单”。",
        )
    try:
        render_docx(data, catalogue.example_context(kind), strict=True)
    except jinja2.UndefinedError as exc:
        raise _refuse(f"模板试生成失败：使用了字段清单中没有的属性（{exc.message}）。") from None
    except jinja2.TemplateError as exc:
        raise _refuse(f"模板试生成失败：{exc.message or exc}") from None
    except Exception as exc:  # noqa: BLE001 - a user's template may break the renderer in many ways
        raise _refuse(f"模板试生成失败：{type(exc).__name__}") from None


# --- templates ----------------------------------------------------------------------------------


def _require_change(actor) -> None:
    if not holds(actor, CHANGE_PERM):
        raise PermissionDenied


def _activate(template: DocumentTemplate, now) -> None:
    DocumentTemplate.objects.filter(kind=template.kind, is_active=True).exclude(pk=template.pk).update(is_active=False)
    template.is_active = True
    template.activated_at = now
    template.save(update_fields=["is_active", "activated_at"])


def template_upload(
    *, actor, kind: str, file_name: str, data: bytes, name: str = "", note: str = "", activate: bool = True
) -> DocumentTemplate:
    """A new version of ``kind``'s template after ``template_check``; active at once unless told
    otherwise (the previous active version is kept in the history). Audited."""
    _require_change(actor)
    check_kind(kind)
    name = (name or "").strip()[:200] or str(DocumentKind(kind).label)
    note = (note or "").strip()[:500]
    file_name = (file_name or "template.docx").strip()[-200:]
    if not file_name.lower().endswith(".docx"):
        raise _refuse("请上传 .docx 格式的 Word 模板（不支持 .doc）。")
    template_check(kind, data)
    now = timezone.now()
    try:
        with transaction.atomic():
            latest = DocumentTemplate.objects.select_for_update().filter(kind=kind).aggregate(v=Max("version"))["v"]
            template = DocumentTemplate.objects.create(
                kind=kind,
                name=name,
                file_name=file_name,
                content=data,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                version=(latest or 0) + 1,
                note=note,
                uploaded_by=actor,
                uploaded_at=now,
            )
            if activate:
                _activate(template, now)
            audit_record(
                actor=actor,
                action="paperwork.template.upload",
                target=template,
                changes={
                    "kind": {"new": kind},
                    "version": {"new": template.version},
                    "file": {"new": file_name},
                    "size": {"new": len(data)},
                    "sha256": {"new": template.sha256},
                    "active": {"new": template.is_active},
                },
            )
    except IntegrityError:
        raise ConflictError("同时有另一份模板上传，请重试。") from None
    return template


def access_template(user, template_id) -> DocumentTemplate:
    if not holds(user, VIEW_PERM):
        raise PermissionDenied
    try:
        return DocumentTemplate.objects.select_related("uploaded_by").get(pk=int(template_id))
    except (DocumentTemplate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def template_activate(*, actor, template_id) -> DocumentTemplate:
    """Make a version the active one of its kind (the others are deactivated). Audited."""
    _require_change(actor)
    with transaction.atomic():
        template = access_template(actor, template_id)
        DocumentTemplate.objects.select_for_update().filter(kind=template.kind).exists()
        previous = (
            DocumentTemplate.objects.filter(kind=template.kind, is_active=True)
            .values_list("version", flat=True)
            .first()
        )
        _activate(template, timezone.now())
        audit_record(
            actor=actor,
            action="paperwork.template.activate",
            target=template,
            changes={"kind": {"new": template.kind}, "active_version": {"old": previous, "new": template.version}},
        )
    return template


def template_list(*, kind: str | None = None):
    """Every version, newest first per kind (without the bytes)."""
    qs = DocumentTemplate.objects.select_related("uploaded_by").defer("content")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "-version")


def templates_by_kind(*, per_kind: int = 10) -> list[dict]:
    """The templates page: each kind with its active version and recent history (one query)."""
    rows: dict[str, list[DocumentTemplate]] = {k: [] for k in DocumentKind.values}
    for t in template_list():
        rows[t.kind].append(t)
    return [
        {
            "kind": kind,
            "label": DocumentKind(kind).label,
            "active": next((t for t in rows[kind] if t.is_active), None),
            "history": rows[kind][:per_kind],
            "more": max(len(rows[kind]) - per_kind, 0),
        }
        for kind in DocumentKind.values
    ]


# --- one document -------------------------------------------------------------------------------


@dataclass
class Generated:
    filename: str
    content: bytes
    content_type: str


def pdf_available() -> bool:
    return shutil.which("soffice") is not None


def to_pdf(docx: bytes) -> bytes:
    """Convert with LibreOffice in a temporary directory (time limit); DomainError when absent."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise DomainError(NO_LIBREOFFICE, errors=[{"field": "format", "message": NO_LIBREOFFICE}])
    with tempfile.TemporaryDirectory(prefix="cb-pdf-") as tmp:
        source = Path(tmp) / "document.docx"
        source.write_bytes(docx)
        try:
            subprocess.run(
                [
                    soffice,
                    "--headless",
                    f"-env:UserInstallation=file://{tmp}/profile",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    tmp,
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=PDF_TIMEOUT_SECONDS,
            )
        except (subprocess.SubprocessError, OSError):
            raise DomainError("PDF 转换失败，请下载 Word 版本。") from None
        target = Path(tmp) / "document.pdf"
        if not target.exists():
            raise DomainError("PDF 转换失败，请下载 Word 版本。")
        return target.read_bytes()


def _render_object(user, spec, obj, options: dict, template: bytes) -> bytes:
    return render_docx(template, spec.context(user, obj, options))


def document_generate(*, actor, kind: str, object_id, options: dict | None = None, fmt: str = "docx") -> Generated:
    """One document of ``kind`` for one object the actor may see (404/403 as on its own page;
    a transfer letter not issued yet 409). Audited as a read of personal data."""
    options = options or {}
    if kind not in SPECS:
        raise Http404
    if fmt not in ("docx", "pdf"):
        raise _refuse("格式只能是 docx 或 pdf。", "format")
    if fmt == "pdf" and not pdf_available():
        raise DomainError(NO_LIBREOFFICE, errors=[{"field": "format", "message": NO_LIBREOFFICE}])
    spec = SPECS[kind]
    obj = spec.access(actor, object_id, options)
    with transaction.atomic():
        content = _render_object(actor, spec, obj, options, template_bytes(kind))
        audit_record(
            actor=actor,
            action="paperwork.document.generate",
            target=spec.audit_target(obj),
            changes={"kind": kind, "format": fmt, **({"year": obj.year} if hasattr(obj, "year") else {})},
        )
    name = safe_name(spec.filename(obj))
    if fmt == "pdf":
        return Generated(f"{name}.pdf", to_pdf(content), PDF_TYPE)
    return Generated(f"{name}.docx", content, DOCX_TYPE)


# --- batches ------------------------------------------------------------------------------------


def _date(value, field: str):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _refuse("日期格式应为 YYYY-MM-DD。", field) from None


def _period(filters: dict) -> tuple[datetime.date | None, datetime.date | None]:
    start, end = _date(filters.get("date_from"), "date_from"), _date(filters.get("date_to"), "date_to")
    if start and end and start > end:
        raise _refuse("开始日期不能晚于结束日期。", "date_to")
    return start, end


def selection_ids(user, kind: str, unit: OrgUnit, filters: dict) -> list[int]:
    """The ids of the objects of ``kind`` under ``unit`` the user may generate, oldest first."""
    from cloudbranch.development.choices import TransferKind, TransferStatus
    from cloudbranch.development.models import Case, PublicNotice, Transfer
    from cloudbranch.fees.models import LedgerEntry
    from cloudbranch.meetings.ledger import LEDGER_PERM
    from cloudbranch.orgs.choices import UnitKind, UnitStatus

    start, end = _period(filters)
    if kind == DocumentKind.FILING_FORM:
        qs = Case.objects.restrict(user, "development.view_case").filter(person__unit__path__startswith=unit.path)
        stage = filters.get("stage")
        if stage not in (None, ""):
            try:
                qs = qs.filter(stage=int(stage))
            except (TypeError, ValueError):
                raise _refuse("阶段无效。", "stage") from None
        if filters.get("status"):
            qs = qs.filter(status=filters["status"])
        qs = qs.order_by("applied_on", "id")
    elif kind == DocumentKind.PUBLIC_NOTICE:
        qs = PublicNotice.objects.restrict(user, "development.view_case").filter(
            case__person__unit__path__startswith=unit.path
        )
        qs = qs.filter(starts_on__gte=start) if start else qs
        qs = qs.filter(starts_on__lte=end) if end else qs
        qs = qs.order_by("starts_on", "id")
    elif kind == DocumentKind.TRANSFER_LETTER:
        qs = Transfer.objects.restrict(user, "add").filter(
            kind=TransferKind.OUTGOING,
            status__in=[TransferStatus.LETTER_ISSUED, TransferStatus.COMPLETED],
            from_unit__path__startswith=unit.path,
        )
        qs = qs.filter(letter_issued_on__gte=start) if start else qs
        qs = qs.filter(letter_issued_on__lte=end) if end else qs
        qs = qs.order_by("letter_issued_on", "id")
    elif kind == DocumentKind.LEDGER_COVER:
        qs = OrgUnit.objects.restrict(user, LEDGER_PERM).filter(
            path__startswith=unit.path, kind=UnitKind.BRANCH, status=UnitStatus.ACTIVE
        )
        qs = qs.order_by("path")
    elif kind == DocumentKind.DUES_RECEIPT:
        qs = LedgerEntry.objects.restrict(user, "view").filter(unit__path__startswith=unit.path)
        qs = qs.filter(month__gte=start.replace(day=1)) if start else qs
        qs = qs.filter(month__lte=end) if end else qs
        qs = qs.order_by("month", "id")
    else:
        raise _refuse("未知的文书类型。", "kind")
    return list(qs.values_list("pk", flat=True)[: MAX_BATCH_OBJECTS + 1])


def batch_units(user):
    """Units the user may generate in bulk for (the form's choices)."""
    return OrgUnit.objects.restrict(user, BATCH_PERM).filter(status="active").order_by("path")


def batch_create(*, actor, kind: str, unit_id, filters: dict | None = None, enqueue: bool = True) -> DocumentBatch:
    """Fix the selection (at most 500 objects) and queue the background task. Audited."""
    check_kind(kind)
    if not holds(actor, BATCH_PERM):
        raise PermissionDenied
    unit = access_by_id(actor, OrgUnit, unit_id, action=BATCH_PERM, view=BATCH_PERM)
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    clean: dict = {}
    for key in ("stage", "status", "date_from", "date_to", "year"):
        if key in filters:
            clean[key] = str(filters[key])
    if kind == DocumentKind.LEDGER_COVER:
        year = clean.get("year") or str(timezone.localdate().year)
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise _refuse("年度无效。", "year")
        clean["year"] = year
    ids = selection_ids(actor, kind, unit, clean)
    if not ids:
        raise _refuse("所选范围内没有可生成的对象。", "unit")
    if len(ids) > MAX_BATCH_OBJECTS:
        raise _refuse(f"一次最多生成 {MAX_BATCH_OBJECTS} 份，请缩小范围。", "unit")
    now = timezone.now()
    with transaction.atomic():
        batch = DocumentBatch.objects.create(
            kind=kind,
            unit=unit,
            filters=clean,
            object_ids=ids,
            total=len(ids),
            created_by=actor,
            created_at=now,
            expires_at=now + datetime.timedelta(days=BATCH_KEEP_DAYS),
        )
        audit_record(
            actor=actor,
            action="paperwork.batch.create",
            target=batch,
            changes={"kind": kind, "unit": unit.pk, "filters": clean, "total": len(ids)},
        )
        if enqueue:
            from .tasks import run_document_batch

            transaction.on_commit(lambda: run_document_batch.enqueue(batch.pk))
    return batch


def _zip_name(index: int, filename: str, used: set[str]) -> str:
    name = f"{index:03d}-{filename}.docx"
    while name in used:  # never: the index is unique; kept for safety
        name = f"{index:03d}-{filename}-{len(used)}.docx"
    used.add(name)
    return name


def batch_run(batch_id: int) -> DocumentBatch | None:
    """The task's work: one .docx per object, zipped; progress saved after each object. An object
    the creator may no longer see is skipped and listed in ``error``. Audited once at the end."""
    batch = DocumentBatch.objects.select_related("created_by").filter(pk=batch_id).first()
    if batch is None or batch.is_finished:
        return batch
    actor = batch.created_by
    spec = SPECS[batch.kind]
    options = dict(batch.filters)
    batch.status = BatchStatus.RUNNING
    batch.started_at = timezone.now()
    batch.done = 0
    batch.save(update_fields=["status", "started_at", "done"])
    skipped: list[str] = []
    buffer = io.BytesIO()
    used: set[str] = set()
    try:
        template = template_bytes(batch.kind)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for index, object_id in enumerate(batch.object_ids, start=1):
                try:
                    obj = spec.access(actor, object_id, options)
                    content = _render_object(actor, spec, obj, options, template)
                    archive.writestr(_zip_name(index, safe_name(spec.filename(obj)), used), content)
                except (Http404, PermissionDenied, DomainError) as exc:
                    skipped.append(f"第 {index} 项：{getattr(exc, 'message', '') or '无权访问或已不存在'}")
                batch.done = index
                batch.save(update_fields=["done"])
    except Exception as exc:  # noqa: BLE001 - the batch must end as failed, whatever happened
        batch.status = BatchStatus.FAILED
        batch.error = f"生成失败：{type(exc).__name__}"
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "error", "finished_at"])
        return batch
    batch.result = buffer.getvalue()
    batch.result_size = len(batch.result)
    batch.status = BatchStatus.SUCCEEDED
    batch.error = "\n".join(skipped)[:5000]
    batch.finished_at = timezone.now()
    with transaction.atomic():
        batch.save(update_fields=["result", "result_size", "status", "error", "finished_at"])
        audit_record(
            actor=actor,
            action="paperwork.batch.generate",
            target=batch,
            changes={"kind": batch.kind, "files": batch.total - len(skipped), "skipped": len(skipped)},
        )
    return batch


def _batches():
    return DocumentBatch.objects.select_related("unit", "created_by").defer("result", "object_ids")


def batch_list(user):
    """Batches in the user's scope (by their unit), newest first."""
    return _batches().restrict(user, BATCH_PERM).order_by("-created_at", "-id")


def access_batch(user, batch_id) -> DocumentBatch:
    """A batch whose unit is in the user's scope; 404 otherwise (a sibling branch's is not revealed)."""
    try:
        return _batches().restrict(user, BATCH_PERM).get(pk=int(batch_id))
    except (DocumentBatch.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def batch_download(*, actor, batch_id) -> Generated:
    batch = access_batch(actor, batch_id)
    if batch.status != BatchStatus.SUCCEEDED:
        raise ConflictError("批量生成尚未完成。")
    if batch.expires_at < timezone.now():
        raise ConflictError("该批量文件已过期，请重新生成。")
    data = DocumentBatch.objects.filter(pk=batch.pk).values_list("result", flat=True).first()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="paperwork.batch.download",
            target=batch,
            changes={"kind": batch.kind, "total": batch.total},
        )
    label = DocumentKind(batch.kind).label
    return Generated(safe_name(f"{label}-{batch.unit.name}-{batch.pk}") + ".zip", bytes(data or b""), ZIP_TYPE)


def may_change_templates(user) -> bool:
    return holds(user, CHANGE_PERM)


def may_batch(user, unit) -> bool:
    return can(user, BATCH_PERM, unit)
