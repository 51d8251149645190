"""Payroll import of dues bases as preview → confirm → undo (``people.import_plan`` does the hashing).

- **Preview** (``preview``): the whole workbook is checked exactly as for a real import
  (``bases.check_payroll``); nothing is written but the job: the file, its hash, the bases to
  create (``changes``, shown on the page) and ``plan_sha256``. A file with any error answers 422
  and leaves no job. The import only creates rows, so there are no fingerprints of existing rows.
- **Confirm**: previewed → confirming by a conditional UPDATE (a second or concurrent confirm
  gets 409); the stored file's hash and the re-checked plan's hash must equal the preview's (a
  person moved out of scope, left the Party, was renamed, the standard or the importer's right to
  approve changed → 409 "预览后……已变化", the job turns stale, nothing written). Expired after
  ``settings.IMPORT_PREVIEW_TTL_HOURS``.
- **Undo** (its creator, still holding fees.change_duesbase at every unit it touched): deletes the
  created bases, refused (409) when a created base has dependent rows — a ``Bill`` generated from
  it (any reverse relation counts) — or changed since the import (e.g. a secretary approved or
  rejected a declared one: its status was decided by someone).

Every step is audited; a job is visible to its creator only (404 for anyone else).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.errors import ConflictError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can, holds
from cloudbranch.people import import_plan

from . import bases
from .choices import BaseKind, BaseStatus
from .models import BaseImportJob, DuesBase

S = BaseImportJob.Status
NOTE = "工资表导入"
DATA_CHANGED = "预览后名册或权限已变化，请重新上传预览"
ALREADY_CONFIRMED = "该导入已确认"
PREVIEW_EXPIRED = import_plan.PREVIEW_EXPIRED
ALREADY_UNDONE = "该导入已撤销"
UNDO_REFUSED_CHANGED = "导入后以下基数已被审核或修改，不能撤销："
UNDO_REFUSED_LINKED = "导入的基数已被引用（{kinds}），不能撤销"
LIST_DEFER = ("file_data", "changes", "fingerprints", "undo_data")


preview_ttl = import_plan.preview_ttl


def _plan(rows: list[dict]) -> list[dict]:
    """The checked data, JSON-safe, in file order: what confirm will write."""
    return [
        {
            "row": r["row"],
            "person": r["person"].pk,
            "base_kind": r["base_kind"],
            "amount": str(r["amount"]),
            "effective_from": r["effective_from"].isoformat(),
            "monthly_dues": str(r["monthly_dues"]),
            "status": BaseStatus.APPROVED if r["approved"] else BaseStatus.DECLARED,
        }
        for r in rows
    ]


def _preview_rows(rows: list[dict]) -> list[dict]:
    kinds = dict(BaseKind.choices)
    return [
        {
            **p,
            "name": r["person"].name,
            "unit": r["person"].unit.name,
            "unit_id": r["person"].unit_id,
            "base_kind_label": str(kinds.get(r["base_kind"], r["base_kind"])),
            "status_label": "直接生效" if r["approved"] else "待审核",
        }
        for p, r in zip(_plan(rows), rows, strict=True)
    ]


def _refusal(status: str) -> str:
    if status in (S.CONFIRMING, S.SUCCEEDED, S.UNDOING, S.UNDONE):
        return ALREADY_CONFIRMED
    if status == S.STALE:
        return DATA_CHANGED
    if status == S.EXPIRED:
        return PREVIEW_EXPIRED
    if status == S.DISCARDED:
        return "该预览已放弃，请重新上传"
    return "该导入没有可确认的预览"


def _require(actor) -> None:
    if not holds(actor, bases.CHANGE):
        raise PermissionDenied


def expire_previews(actor=None) -> int:
    """Previews older than the TTL become expired and lose their file (the caller's, or all)."""
    if actor is not None:
        return import_plan.expire_previews(BaseImportJob, created_by_id=actor.pk)
    return import_plan.expire_previews(BaseImportJob)


def preview(*, actor, file_name: str, data: bytes) -> BaseImportJob:
    """Check the workbook and store its preview (422 with every error, and no job, on any error)."""
    _require(actor)
    rows = bases.check_payroll(actor=actor, data=data)
    expire_previews(actor)
    changes = _preview_rows(rows)
    approved = sum(1 for r in rows if r["approved"])
    with transaction.atomic():
        job = BaseImportJob.objects.create(
            created_by=actor,
            file_name=(file_name or "工资表.xlsx")[:200],
            file_data=data,
            status=S.PREVIEWED,
            total_rows=len(rows),
            approved_count=approved,
            declared_count=len(rows) - approved,
            message=f"预览：共 {len(rows)} 行，将新增 {len(rows)} 条基数（直接生效 {approved} 条，"
            f"待审核 {len(rows) - approved} 条）。请核对后确认导入。",
            file_sha256=import_plan.sha256_hex(data),
            plan_sha256=import_plan.plan_hash(_plan(rows)),
            changes=changes,
            fingerprints={},
            unit_ids=sorted({c["unit_id"] for c in changes}),
        )
        audit_record(
            actor=actor,
            action="fees.duesbase_import.preview",
            target=job,
            changes={"file": {"old": None, "new": job.file_name}, "rows": {"old": None, "new": len(rows)}},
        )
    return job


def job_list(user):
    """The user's own payroll imports, newest first."""
    if user is None or not user.is_authenticated:
        return BaseImportJob.objects.none()
    return BaseImportJob.objects.filter(created_by_id=user.pk).defer(*LIST_DEFER)


def access_job(user, job_id) -> BaseImportJob:
    """One of the user's own jobs; anyone else's (or a missing one) is 404."""
    try:
        job = BaseImportJob.objects.defer("file_data", "undo_data").get(pk=int(job_id))
    except (BaseImportJob.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if getattr(user, "pk", None) is None or job.created_by_id != user.pk:
        raise Http404
    return job


def _own(actor, job_id) -> BaseImportJob:
    job = access_job(actor, job_id)
    _require(actor)
    return job


class _Stale(Exception):
    def __init__(self, errors: list[dict]):
        super().__init__(DATA_CHANGED)
        self.errors = errors


def confirm(*, actor, job_id) -> BaseImportJob:
    """Write a previewed import, after checking that the stored file and the re-checked plan are
    exactly as at preview time (409 otherwise, nothing written)."""
    from cloudbranch.core.errors import DomainError

    job = _own(actor, job_id)
    jobs = BaseImportJob.objects.filter(pk=job.pk)
    if job.status != S.PREVIEWED:
        raise ConflictError(_refusal(job.status))
    import_plan.refuse_if_expired(jobs, job.created_at)
    try:
        with transaction.atomic():
            if not import_plan.transition(jobs, S.PREVIEWED, S.CONFIRMING):
                raise ConflictError(_refusal(jobs.values_list("status", flat=True).first() or ""))
            data = bytes(jobs.values_list("file_data", flat=True).get())
            if import_plan.sha256_hex(data) != job.file_sha256:
                raise _Stale([{"row": None, "column": "", "message": "上传的文件与预览时不一致"}])
            try:
                rows = bases.check_payroll(actor=actor, data=data)
            except DomainError as exc:
                raise _Stale(exc.errors[:50]) from None
            if import_plan.plan_hash(_plan(rows)) != job.plan_sha256:
                raise _Stale([{"row": None, "column": "", "message": "校验后的数据与预览时不一致"}])
            now = timezone.now()
            objs = [
                DuesBase(
                    person=r["person"],
                    base_kind=r["base_kind"],
                    amount=r["amount"],
                    effective_from=r["effective_from"],
                    monthly_dues=r["monthly_dues"],
                    status=BaseStatus.APPROVED if r["approved"] else BaseStatus.DECLARED,
                    note=NOTE,
                    declared_by=actor,
                    declared_at=now,
                    decided_by=actor if r["approved"] else None,
                    decided_at=now if r["approved"] else None,
                )
                for r in rows
            ]
            DuesBase.objects.bulk_create(objs, batch_size=1000)
            ids = [o.pk for o in objs]
            created = list(DuesBase.objects.filter(pk__in=ids).order_by("pk"))  # as stored, for fingerprints
            audit_bulk(
                [
                    audit_event(actor, action="fees.duesbase.import", target=b, changes=bases._created(b))
                    for b in created
                ]
            )
            approved = sum(1 for r in rows if r["approved"])
            audit_record(
                actor=actor,
                action="fees.duesbase.import_summary",
                target=job,
                changes={"rows": {"old": None, "new": len(objs)}, "approved": {"old": None, "new": approved}},
            )
            jobs.update(
                status=S.SUCCEEDED,
                file_data=b"",
                undo_data={
                    "created": ids,
                    "after": {str(b.pk): import_plan.fingerprint(b) for b in created},
                },
                confirmed_at=now,
                confirmed_by=actor,
                approved_count=approved,
                declared_count=len(rows) - approved,
                message=f"已导入 {len(objs)} 条基数（直接生效 {approved} 条，待审核 {len(objs) - approved} 条）。",
            )
    except (_Stale, IntegrityError) as exc:
        errors = exc.errors if isinstance(exc, _Stale) else []
        import_plan.transition(jobs, S.PREVIEWED, S.STALE, file_data=b"", message=DATA_CHANGED)
        raise ConflictError(DATA_CHANGED, errors=errors) from None
    return access_job(actor, job.pk)


def discard(*, actor, job_id) -> BaseImportJob:
    """Drop a preview without importing (its file is deleted)."""
    job = _own(actor, job_id)
    with transaction.atomic():
        if not import_plan.transition(BaseImportJob.objects.filter(pk=job.pk), S.PREVIEWED, S.DISCARDED, file_data=b""):
            raise ConflictError(_refusal(job.status))
        audit_record(
            actor=actor,
            action="fees.duesbase_import.discard",
            target=job,
            changes={"file": {"old": None, "new": job.file_name}},
        )
    return access_job(actor, job.pk)


def may_undo(user, job: BaseImportJob) -> bool:
    """Its creator, still holding fees.change_duesbase at every unit it touched."""
    if job.status != S.SUCCEEDED or user is None or job.created_by_id != getattr(user, "pk", None):
        return False
    units = list(OrgUnit.objects.filter(pk__in=job.unit_ids))
    return bool(units) and all(can(user, bases.CHANGE, u) for u in units)


def undo(*, actor, job_id) -> BaseImportJob:
    """Delete the bases a confirmed import created, as a whole. Refused (409) if any of them has
    a bill (or any other row pointing at it) or changed since (approved, rejected or edited)."""
    job = _own(actor, job_id)
    jobs = BaseImportJob.objects.filter(pk=job.pk)
    if job.status in (S.UNDOING, S.UNDONE):
        raise ConflictError(ALREADY_UNDONE)
    if job.status != S.SUCCEEDED:
        raise ConflictError("只能撤销已确认的导入")
    if not may_undo(actor, job):
        raise PermissionDenied
    data = BaseImportJob.objects.values_list("undo_data", flat=True).get(pk=job.pk)
    created = [int(pk) for pk in data["created"]]
    with transaction.atomic():
        if not import_plan.transition(jobs, S.SUCCEEDED, S.UNDOING):
            raise ConflictError(ALREADY_UNDONE)
        linked = import_plan.dependents(DuesBase, created)
        if linked:
            raise ConflictError(
                UNDO_REFUSED_LINKED.format(kinds="、".join(f"{name} {n} 条" for name, n in linked)),
                errors=[{"field": "base", "message": f"{name}：{n} 条"} for name, n in linked],
            )
        changed, missing = import_plan.changed_since(DuesBase, data["after"])
        if changed or missing:
            people = dict(DuesBase.objects.filter(pk__in=[b.pk for b in changed]).values_list("pk", "person__name"))
            names = [f"{people.get(b.pk, '')}（{b.effective_from:%Y-%m}，{b.get_status_display()}）" for b in changed]
            names += [f"已删除的基数 #{pk}" for pk in missing]
            raise ConflictError(
                UNDO_REFUSED_CHANGED + "、".join(names[:20]) + ("等" if len(names) > 20 else ""),
                errors=[{"field": "base", "message": n} for n in names],
            )
        gone = list(DuesBase.objects.filter(pk__in=created))
        audit_bulk(
            [
                audit_event(
                    actor,
                    action="fees.duesbase.import_undo",
                    target=b,
                    changes={k: {"old": v["new"], "new": None} for k, v in bases._created(b).items()},
                )
                for b in gone
            ]
        )
        DuesBase.objects.filter(pk__in=created).delete()
        audit_record(
            actor=actor,
            action="fees.duesbase_import.undo",
            target=job,
            changes={"deleted": {"old": None, "new": len(gone)}},
        )
        import_plan.transition(
            jobs,
            S.UNDOING,
            S.UNDONE,
            undone_at=timezone.now(),
            undone_by=actor,
            message=f"已撤销：删除本次导入的 {len(gone)} 条基数。",
        )
    return access_job(actor, job.pk)
