"""Documents of a development case (发展材料) and the dossier (档案).

Who may do what:

* **add** a document (upload or generate): ``development.record_step`` at the person's unit.
* **read** documents and the dossier: ``development.view_case`` at the person's unit (404 outside).
* the person themself may list and download their OWN application letter (入党申请书) only —
  other documents carry the opinions of the branch and the committee and stay with managers.

Uploads are accepted by extension *and* content (PDF ``%PDF-``; JPEG/PNG opened by Pillow and
re-encoded without metadata, so a phone photo's GPS position never reaches the archive; DOCX a
ZIP with ``word/``), at most 20 MB; on any refusal nothing is written. Generated documents are
texts filled from the case, its records and contacts (templates
``development/document_text_<template>.txt``), stored in ``CaseDocument.body``.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import os
import warnings

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.documents import matches_extension
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.scoping import access_by_id, can

from .choices import ContactRole, DocumentKind, RecordStatus, Stage
from .models import Case, CaseContact, CaseDocument, PublicNotice, StepRecord
from .rules import Vote, check_vote, probation_end

VIEW = "development.view_case"
RECORD = "development.record_step"

MB = 1024 * 1024
MAX_BYTES = 20 * MB
MAX_IMAGE_PIXELS = 60_000_000
ALLOWED_HINT = "允许上传的类型：PDF、JPG、PNG、DOCX，单个文件不超过 20 MB。"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".docx": "docx"}
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png", "docx": DOCX_TYPE}


# --- access -----------------------------------------------------------------------------


def _cases():
    return Case.objects.select_related("person__unit__parent", "rule_set")


def access_case(user, case_id, *, action: str = VIEW) -> Case:
    """A case the user may see (404 outside scope), 403 when seen but ``action`` is not held there."""
    return access_by_id(user, Case, case_id, action=action, queryset=_cases())


def may_add(user, case: Case) -> bool:
    return can(user, RECORD, case.person.unit)


def access_document(user, document_id) -> CaseDocument:
    """A document the user may read: managers in scope, or the person's own application letter.
    404 otherwise (the existence of someone else's document is not revealed)."""
    try:
        document = CaseDocument.objects.select_related(
            "case__person__unit", "record__step", "created_by", "case__person__user"
        ).get(pk=int(document_id))
    except (CaseDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    person = document.case.person
    if can(user, VIEW, person.unit):
        return document
    if document.kind == DocumentKind.APPLICATION and person.user_id and person.user_id == user.pk:
        return document
    raise Http404


def case_documents(user, case: Case):
    """The documents of a case the user may already see (``access_case``), oldest first."""
    return (
        CaseDocument.objects.filter(case=case).select_related("record__step", "created_by").order_by("created_at", "id")
    )


def own_documents(user):
    """The person's own application letters (their page lists titles only of these)."""
    if not user.is_authenticated:
        return CaseDocument.objects.none()
    return CaseDocument.objects.filter(case__person__user=user, kind=DocumentKind.APPLICATION).order_by("created_at")


# --- uploads ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CleanFile:
    name: str
    content_type: str
    data: bytes


def _refuse(message: str) -> DomainError:
    return DomainError(message, errors=[{"field": "file", "message": message}], code="bad_file")


def clean_upload(uploaded_file) -> CleanFile:
    """Check a scan, PDF, image or DOCX; return what may be stored or raise DomainError (``file``)."""
    if uploaded_file is None:
        raise _refuse("请选择要上传的文件。")
    original = os.path.basename(getattr(uploaded_file, "name", "") or "").strip() or "材料"
    ext = os.path.splitext(original)[1].lower()
    fmt = EXTENSIONS.get(ext)
    if fmt is None:
        raise _refuse(f"不支持的文件类型“{ext or original}”。{ALLOWED_HINT}")
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse(f"文件“{original}”超过 20 MB，不能上传。")
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    data = uploaded_file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(f"文件“{original}”超过 20 MB，不能上传。")
    if not data:
        raise _refuse(f"文件“{original}”是空文件。")
    mismatch = _refuse(f"文件“{original}”的内容与扩展名 {ext} 不符，不能上传。{ALLOWED_HINT}")
    if fmt in ("pdf", "docx"):
        if not matches_extension(f".{fmt}", data):
            raise mismatch
    else:
        data = _clean_image(data, fmt, mismatch, original)
    return CleanFile(original[-200:], CONTENT_TYPES[fmt], data)


def _clean_image(data: bytes, fmt: str, mismatch: DomainError, original: str) -> bytes:
    """Open with Pillow (the format must match the extension), turn upright, drop all metadata."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    expected = {"jpeg": "JPEG", "png": "PNG"}[fmt]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format != expected:
                raise mismatch
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise _refuse(f"图片“{original}”像素过大，不能上传。")
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        raise mismatch from None
    image = ImageOps.exif_transpose(image)
    if expected == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.info = {}
    out = io.BytesIO()
    image.save(out, format=expected, **({"quality": 90} if expected == "JPEG" else {"optimize": True}))
    return out.getvalue()


def _check_kind(kind: str) -> str:
    if kind not in DocumentKind.values:
        raise DomainError("请选择材料类型。", errors=[{"field": "kind", "message": "请选择材料类型。"}])
    return kind


def _record_of(case: Case, record_id) -> StepRecord | None:
    if record_id in (None, ""):
        return None
    record = (
        StepRecord.objects.select_related("step")
        .filter(case=case, pk=record_id if str(record_id).isdigit() else -1, status=RecordStatus.VALID)
        .first()
    )
    if record is None:
        raise DomainError(
            "所选步骤记录不属于本发展对象或已撤销。",
            errors=[{"field": "record", "message": "所选步骤记录不属于本发展对象或已撤销。"}],
        )
    return record


def document_upload(*, actor, case_id: int, uploaded_file, kind: str, title: str = "", record_id=None) -> CaseDocument:
    """Store an uploaded scan, PDF, image or DOCX for a case (and optionally one of its step
    records). Refused with a Chinese message, nothing written, for a wrong type, a content that
    does not match its extension, or more than 20 MB."""
    case = access_case(actor, case_id, action=RECORD)
    _check_kind(kind)
    record = _record_of(case, record_id)
    clean = clean_upload(uploaded_file)
    title = (title or "").strip()[:200] or f"{DocumentKind(kind).label}（{os.path.splitext(clean.name)[0][:120]}）"
    with transaction.atomic():
        document = CaseDocument(
            case=case,
            record=record,
            kind=kind,
            title=title,
            original_name=clean.name,
            content_type=clean.content_type,
            size=len(clean.data),
            created_by=actor,
        )
        document.file.save(clean.name, ContentFile(clean.data), save=False)
        stored = document.file.name
        try:
            document.save(force_insert=True)
            audit_record(
                actor=actor,
                action="development.document.upload",
                target=document,
                changes={
                    "case": {"new": case.pk},
                    "kind": {"new": kind},
                    "record": {"new": record.pk if record else None},
                    "name": {"new": clean.name},
                    "size": {"new": len(clean.data)},
                },
            )
        except Exception:
            document.file.storage.delete(stored)
            raise
    return document


# --- generated documents ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Generator:
    key: str
    label: str
    kind: str
    steps: tuple[str, ...]  # the step whose record the text is about (latest valid one by default)


GENERATORS: dict[str, Generator] = {
    g.key: g
    for g in (
        Generator("talk", "入党谈话记录", DocumentKind.TALK_RECORD, ("talk",)),
        Generator(
            "assessment", "培养考察登记", DocumentKind.ASSESSMENT, ("activist_assessment", "probation_assessment")
        ),
        Generator("political_review", "政治审查结论", DocumentKind.POLITICAL_REVIEW, ("political_review",)),
        Generator("training", "集中培训结业证明", DocumentKind.TRAINING_CERTIFICATE, ("training",)),
        Generator("public_notice", "公示", DocumentKind.PUBLIC_NOTICE, ()),
        Generator("admission_vote", "支部大会表决结果（接收预备党员）", DocumentKind.VOTE_RECORD, ("admission_vote",)),
        Generator("approval", "党委审批意见（接收预备党员）", DocumentKind.APPROVAL, ("approval",)),
        Generator("oath", "入党宣誓记录", DocumentKind.OATH, ("oath",)),
        Generator(
            "confirmation_vote", "支部大会表决结果（预备党员转正）", DocumentKind.VOTE_RECORD, ("confirmation_vote",)
        ),
        Generator("confirmation", "预备党员转正审批意见", DocumentKind.APPROVAL, ("confirmation_approval",)),
    )
}
GENERATOR_CHOICES = [(g.key, g.label) for g in GENERATORS.values()]

RESULT_LABELS = {"passed": "合格", "failed": "不合格", "approved": "同意", "rejected": "不同意"}


def _label(value) -> str:
    return RESULT_LABELS.get(str(value), str(value or ""))


def cn_date(d: datetime.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "____年__月__日"


def _contacts(case: Case) -> dict[str, list[CaseContact]]:
    out: dict[str, list[CaseContact]] = {ContactRole.SPONSOR: [], ContactRole.INTRODUCER: []}
    for c in CaseContact.objects.filter(case=case).select_related("person").order_by("role", "started_on", "id"):
        out.setdefault(c.role, []).append(c)
    return out


def _current_names(contacts: list[CaseContact]) -> str:
    names = [c.person.name for c in contacts if c.ended_on is None] or [c.person.name for c in contacts]
    return "、".join(names) or "（未确定）"


def _valid_records(case: Case) -> list[StepRecord]:
    return list(
        StepRecord.objects.filter(case=case, status=RecordStatus.VALID)
        .select_related("step", "recorded_by")
        .order_by("occurred_on", "sequence", "id")
    )


def _vote_lines(data: dict) -> dict:
    vote = Vote.from_data(data or {})
    errors = check_vote(vote)
    return {"vote": vote, "vote_passed": not errors, "vote_errors": errors}


def generate_context(case: Case, generator: Generator, record: StepRecord | None) -> dict:
    """Everything a document template may use, computed from the case's rows."""
    records = _valid_records(case)
    by_code: dict[str, list[StepRecord]] = {}
    for r in records:
        by_code.setdefault(r.step.code, []).append(r)

    def first(code):
        return by_code[code][0].occurred_on if by_code.get(code) else None

    admission = by_code["admission_vote"][-1].occurred_on if by_code.get("admission_vote") else None
    p_end = probation_end(admission, case.rule_set.probation_months, case.extension_months)
    contacts = _contacts(case)
    person = case.person
    unit = person.unit
    data = dict(record.data or {}) if record else {}
    context = {
        "case": case,
        "person": person,
        "unit": unit,
        "college": unit.parent,
        "record": record,
        "data": data,
        "sponsors": _current_names(contacts[ContactRole.SPONSOR]),
        "introducers": _current_names(contacts[ContactRole.INTRODUCER]),
        "applied_on": cn_date(case.applied_on),
        "activist_on": cn_date(first("activist")),
        "candidate_on": cn_date(first("candidate")),
        "admission_on": cn_date(admission),
        "approval_on": cn_date(first("approval")),
        "probation_start": cn_date(admission),
        "probation_end": cn_date(p_end),
        "confirmed_on": cn_date(p_end),  # 转正时间为预备期满之日（第三十三条）
        "occurred_on": cn_date(record.occurred_on if record else None),
        "today": cn_date(timezone.localdate()),
        "result": _label(data.get("result") or data.get("conclusion") or data.get("decision")),
        "birth": f"{person.birth_date.year}年{person.birth_date.month}月",
    }
    if generator.key in ("admission_vote", "confirmation_vote"):
        context.update(_vote_lines(data))
    if generator.key == "training":
        context["days"] = int(data.get("days") or 0)
        context["hours"] = int(data.get("hours") or 0)
    if generator.key == "assessment":
        context["sequence"] = record.sequence if record else 0
        context["stage_label"] = "入党积极分子" if record and record.step.code == "activist_assessment" else "预备党员"
    return context


def render_generated(case: Case, generator: Generator, record: StepRecord | None) -> str:
    if generator.key == "public_notice":
        notice = PublicNotice.objects.filter(case=case).order_by("-starts_on", "-id").first()
        if notice is None:
            raise DomainError(
                "本发展对象尚未发布公示，请先在“公示”中发布，再生成公示材料。",
                errors=[{"field": "template", "message": "尚未发布公示。"}],
            )
        lines = [notice.text.strip()]
        if notice.objections.strip():
            lines.append(f"公示期间收到的意见：{notice.objections.strip()}")
        else:
            lines.append(f"公示期（{cn_date(notice.starts_on)}至{cn_date(notice.ends_on)}）内未收到反映意见。")
        return "\n\n".join(lines) + "\n"
    text = render_to_string(f"development/document_text_{generator.key}.txt", generate_context(case, generator, record))
    # Templates are laid out for readability; collapse the blank lines they leave behind.
    out: list[str] = []
    for line in (ln.rstrip() for ln in text.splitlines()):
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


def _generator_record(case: Case, generator: Generator, record_id) -> StepRecord | None:
    if not generator.steps:
        return None
    if record_id not in (None, ""):
        record = _record_of(case, record_id)
        if record.step.code not in generator.steps:
            raise DomainError(
                f"所选记录不是“{generator.label}”对应的步骤。",
                errors=[{"field": "record", "message": "所选记录与材料类型不符。"}],
            )
        return record
    record = (
        StepRecord.objects.select_related("step")
        .filter(case=case, status=RecordStatus.VALID, step__code__in=generator.steps)
        .order_by("-occurred_on", "-sequence", "-id")
        .first()
    )
    if record is None:
        from .state import step_by_code

        name = step_by_code(case.rule_set_id, generator.steps[0]).name
        raise DomainError(
            f"尚未记录“{name}”，不能生成{generator.label}。",
            errors=[{"field": "template", "message": f"尚未记录“{name}”。"}],
        )
    return record


def document_generate(*, actor, case_id: int, template: str, record_id=None) -> CaseDocument:
    """Generate a document's text from the case (谈话记录, 培养考察登记, 政治审查结论, 集中培训结业
    证明, 公示, 支部大会表决结果, 党委审批意见, 入党宣誓记录, 转正审批意见) and store it, audited.
    Each generation is a new document: earlier texts stay as they were printed."""
    case = access_case(actor, case_id, action=RECORD)
    generator = GENERATORS.get(template or "")
    if generator is None:
        raise DomainError("请选择要生成的材料。", errors=[{"field": "template", "message": "请选择要生成的材料。"}])
    record = _generator_record(case, generator, record_id)
    body = render_generated(case, generator, record)
    title = f"{case.person.name} · {generator.label}"
    if generator.key == "assessment" and record is not None:
        title += f"（第{record.sequence}次）"
    with transaction.atomic():
        document = CaseDocument.objects.create(
            case=case,
            record=record,
            kind=generator.kind,
            title=title[:200],
            body=body,
            generated=True,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="development.document.generate",
            target=document,
            changes={
                "case": {"new": case.pk},
                "template": {"new": generator.key},
                "record": {"new": record.pk if record else None},
            },
        )
    return document


# --- dossier ----------------------------------------------------------------------------

DATA_LABELS = {
    "entitled": "应到会有表决权",
    "present": "实到会",
    "written": "书面意见",
    "in_favour": "赞成",
    "against": "反对",
    "abstain": "弃权",
    "days": "培训天数",
    "hours": "学时",
    "result": "结论",
    "conclusion": "审查结论",
    "decision": "审批意见",
    "recommendation": "推荐方式",
    "place": "地点",
}


def describe_data(data: dict | None) -> str:
    """A record's data as one line for people: "应到会有表决权 10，实到会 8，…"."""
    parts = []
    for key, value in (data or {}).items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list | dict):
            value = "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
        parts.append(f"{DATA_LABELS.get(key, key)} {_label(value)}")
    return "，".join(parts)


@dataclasses.dataclass
class DossierStep:
    step: object
    records: list


@dataclasses.dataclass
class Dossier:
    case: Case
    person: object
    id_number: str
    id_revealed: bool
    steps: list[DossierStep]
    stage_dates: list[tuple[str, str]]
    contacts: list[CaseContact]
    documents: list[CaseDocument]
    notices: list[PublicNotice]
    voided: list[StepRecord]


def dossier_view(*, user, case_id: int) -> Dossier:
    """The dossier (档案) of one case: cover, the 25 steps with every valid record, contacts,
    documents with the full text of generated ones, notices. Reading a dossier is a sensitive
    read and is audited (``development.dossier.view``); the ID number is shown in clear only to
    holders of ``people.view_sensitive`` at the person's unit (that read is audited as well)."""
    from cloudbranch.people.selectors import may_view_sensitive, person_reveal_id_number

    from .state import rule_steps

    case = access_case(user, case_id)
    person = case.person
    all_records = list(
        StepRecord.objects.filter(case=case).select_related("recorded_by", "voided_by").order_by("occurred_on", "id")
    )
    valid = [r for r in all_records if r.status == RecordStatus.VALID]
    by_step: dict[int, list] = {}
    for r in valid:
        by_step.setdefault(r.step_id, []).append(r)
    steps = list(rule_steps(case.rule_set_id))
    code_of = {s.pk: s for s in steps}
    for r in all_records:
        r.step = code_of.get(r.step_id)  # no query per record
        r.summary = describe_data(r.data)
    stage_first: dict[int, datetime.date] = {}
    for s in steps:
        for r in by_step.get(s.pk, []):
            stage_first.setdefault(s.stage, r.occurred_on)
            stage_first[s.stage] = min(stage_first[s.stage], r.occurred_on)
    stage_dates = [
        (label, cn_date(stage_first.get(value)) if value in stage_first else "—") for value, label in Stage.choices
    ]
    revealed = may_view_sensitive(user, person)
    with transaction.atomic():
        id_number = person_reveal_id_number(user=user, person=person) if revealed else person.id_number_masked
        audit_record(actor=user, action="development.dossier.view", target=case, changes={"person": {"new": person.pk}})
    return Dossier(
        case=case,
        person=person,
        id_number=id_number,
        id_revealed=revealed,
        steps=[DossierStep(step=s, records=by_step.get(s.pk, [])) for s in steps],
        stage_dates=stage_dates,
        contacts=list(CaseContact.objects.filter(case=case).select_related("person").order_by("role", "started_on")),
        documents=list(case_documents(user, case)),
        notices=list(PublicNotice.objects.filter(case=case).order_by("starts_on", "id")),
        voided=[r for r in all_records if r.status == RecordStatus.VOIDED],
    )
