"""Question bank import as preview → confirm → undo (``QuestionImportJob``), on the generic
helpers of ``people.import_plan`` (read its docstring first).

- **Preview** (in the request: files are small): the whole file is checked exactly as by
  ``question_import.import_questions`` (same rules, same messages); nothing is written but the
  job. The plan is the list of questions to create; its hash and the file's hash are stored.
  A file with errors gives a ``failed`` job (its errors kept, its file dropped).
- **Confirm**: previewed → confirming by a conditional UPDATE (a second or concurrent confirm
  is 409); the stored file's hash, the re-checked plan's hash (which also re-checks duplicates
  against the unit's bank as it is now) must match the preview, else 409 and nothing written.
- **Undo** of a confirmed import as a whole: refused (409) when a created question was edited,
  retired or deleted since (its fingerprint, knowledge points included), or when it has
  *dependent rows*: a paper using it (``PaperQuestion``), an answer record, a wrong-answer-book
  entry (any row with a foreign key to it, ``import_plan.dependents``), or a drawn item of an
  exam attempt, a daily quiz, a contest entry or a duel (these keep question ids in JSON).
  Otherwise the created questions are deleted, and so are the knowledge points the import
  created that nothing else uses.

Jobs are private: another user (even an administrator) gets 404.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from cloudbranch.audit.services import audit_bulk, audit_event, audit_record
from cloudbranch.core.errors import ConflictError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import can
from cloudbranch.people import import_plan

from . import questions
from .models import Attempt, ContestEntry, DailyQuiz, Duel, KnowledgePoint, Question, QuestionImportJob
from .question_import import ImportResult, _check, _Parsed, _write

S = QuestionImportJob.Status
BANK_CHANGED = "预览后题库或文件已变化，请重新上传预览"
PREVIEW_EXPIRED = import_plan.PREVIEW_EXPIRED
ALREADY_CONFIRMED = "该导入已确认过，不能重复确认"
ALREADY_UNDONE = "该导入已撤销或正在撤销"
UNDO_REFUSED_CHANGED = "无法撤销：导入后以下试题已被修改、停用或删除："
UNDO_REFUSED_USED = "无法撤销：导入的试题已被使用（{kinds}），撤销会破坏这些记录。"
LIST_DEFER = ("file_data", "errors", "changes", "fingerprints", "undo_data")


class _Stale(Exception):
    def __init__(self, errors: list[dict] | None = None):
        super().__init__(BANK_CHANGED)
        self.errors = errors or []


preview_ttl = import_plan.preview_ttl


def _plan(parsed: list[_Parsed]) -> list[dict]:
    return [
        {
            "row": p.row,
            "kind": p.kind,
            "stem": p.stem,
            "options": p.options,
            "answer": p.answer,
            "explanation": p.explanation,
            "knowledge_points": p.kp_names,
            "difficulty": p.difficulty,
            "source": p.source,
        }
        for p in parsed
    ]


def _question_print(question: Question, kp_ids) -> str:
    """Every concrete field of the question and its knowledge points."""
    return import_plan.sha256_hex(
        import_plan.canonical_json({"row": import_plan.row_state(question), "kps": sorted(kp_ids)})
    )


def _prints(ids: list[int]) -> tuple[dict[str, str], dict[str, Question]]:
    through = Question.knowledge_points.through
    kps: dict[int, list[int]] = {}
    for qid, kid in through.objects.filter(question_id__in=ids).values_list("question_id", "knowledgepoint_id"):
        kps.setdefault(qid, []).append(kid)
    found = {str(q.pk): q for q in Question._base_manager.filter(pk__in=ids)}
    return {pk: _question_print(q, kps.get(q.pk, [])) for pk, q in found.items()}, found


# --- selectors ------------------------------------------------------------------------------------


def job_list(user):
    """The user's own question imports, newest first."""
    if user is None or not user.is_authenticated:
        return QuestionImportJob.objects.none()
    return QuestionImportJob.objects.filter(created_by_id=user.pk).select_related("unit").defer(*LIST_DEFER)


def access_job(user, job_id) -> QuestionImportJob:
    """One of the user's own jobs; anything else is 404 (another user's job is not revealed)."""
    try:
        job = QuestionImportJob.objects.select_related("unit").defer("file_data", "undo_data").get(pk=int(job_id))
    except (QuestionImportJob.DoesNotExist, TypeError, ValueError):
        raise Http404 from None
    if getattr(user, "pk", None) is None or job.created_by_id != user.pk:
        raise Http404
    return job


def _own_job(actor, job_id) -> QuestionImportJob:
    job = access_job(actor, job_id)
    if not can(actor, questions.ADD, job.unit):
        raise PermissionDenied
    return job


def _refusal(status: str) -> str:
    if status in (S.CONFIRMING, S.SUCCEEDED, S.UNDOING, S.UNDONE):
        return ALREADY_CONFIRMED
    if status == S.STALE:
        return BANK_CHANGED
    if status == S.EXPIRED:
        return PREVIEW_EXPIRED
    if status == S.DISCARDED:
        return "该预览已放弃，请重新上传"
    return "该导入没有可确认的预览"


# --- services --------------------------------------------------------------------------------------


def preview(*, actor, unit: OrgUnit, data: bytes, file_name: str = "") -> tuple[QuestionImportJob, ImportResult]:
    """Check the whole file and store the preview (or the errors) as a job; writes no question."""
    if not can(actor, questions.ADD, unit):
        raise PermissionDenied
    expire_previews()  # old previews give their stored files back
    result = ImportResult(dry_run=True)
    parsed = _check(unit=unit, data=data, result=result)
    plan = _plan(parsed)
    ok = not result.errors
    if ok:
        result.created = len(parsed)
        result.message = f"校验通过：共 {len(parsed)} 道题，确认后导入。"
    with transaction.atomic():
        job = QuestionImportJob.objects.create(
            unit=unit,
            created_by=actor,
            file_name=(file_name or "upload.xlsx")[:200],
            file_data=data if ok else b"",
            status=S.PREVIEWED if ok else S.FAILED,
            total_rows=result.total_rows,
            created_count=len(parsed),
            errors=result.errors,
            message=result.message[:500],
            file_sha256=import_plan.sha256_hex(data or b""),
            plan_sha256=import_plan.plan_hash(plan) if ok else "",
            changes=plan,
            finished_at=timezone.now(),
        )
        audit_record(
            actor=actor,
            action="learning.question_import.preview",
            target=job,
            changes={
                "file": {"new": job.file_name},
                "unit": {"new": unit.pk},
                "rows": {"new": result.total_rows},
                "errors": {"new": len(result.errors)},
            },
        )
    return job, result


def expire_previews() -> int:
    """Previews older than the TTL become expired and their files are dropped."""
    return import_plan.expire_previews(QuestionImportJob)


def confirm(*, actor, job_id) -> QuestionImportJob:
    """Create the previewed questions, after checking that the stored file and the re-checked
    plan are exactly as at preview time (409 otherwise, nothing written)."""
    job = _own_job(actor, job_id)
    jobs = QuestionImportJob.objects.filter(pk=job.pk)
    if job.status != S.PREVIEWED:
        raise ConflictError(_refusal(job.status))
    import_plan.refuse_if_expired(jobs, job.finished_at)
    try:
        with transaction.atomic():
            if not import_plan.transition(jobs, S.PREVIEWED, S.CONFIRMING):
                raise ConflictError(_refusal(jobs.values_list("status", flat=True).first() or ""))
            data = bytes(jobs.values_list("file_data", flat=True).get())
            if import_plan.sha256_hex(data) != job.file_sha256:
                raise _Stale([{"field": "file", "message": "上传的文件与预览时不一致"}])
            result = ImportResult()
            parsed = _check(unit=job.unit, data=data, result=result)
            if result.errors:
                raise _Stale(result.errors[:50])
            if import_plan.plan_hash(_plan(parsed)) != job.plan_sha256:
                raise _Stale([{"field": "plan", "message": "校验后的数据与预览时不一致"}])
            created, new_kps = _write(actor=actor, unit=job.unit, parsed=parsed, file_name=job.file_name)
            ids = [q.pk for q in created]
            after, _found = _prints(ids)
            now = timezone.now()
            message = f"导入成功：新增 {len(created)} 道试题。"
            jobs.update(
                status=S.SUCCEEDED,
                file_data=b"",
                undo_data={"created": ids, "knowledge_points": new_kps, "after": after},
                confirmed_at=now,
                confirmed_by=actor,
                message=message,
                created_count=len(created),
            )
            audit_record(
                actor=actor,
                action="learning.question_import.confirm",
                target=job,
                changes={"created": {"new": len(created)}, "knowledge_points": {"new": len(new_kps)}},
            )
    except (_Stale, IntegrityError) as exc:
        errors = exc.errors if isinstance(exc, _Stale) else []
        import_plan.transition(jobs, S.PREVIEWED, S.STALE, file_data=b"", message=BANK_CHANGED)
        raise ConflictError(BANK_CHANGED, errors=errors) from None
    return access_job(actor, job.pk)


def discard(*, actor, job_id) -> QuestionImportJob:
    """Drop a preview without importing (its file is deleted)."""
    job = _own_job(actor, job_id)
    with transaction.atomic():
        if not import_plan.transition(
            QuestionImportJob.objects.filter(pk=job.pk), S.PREVIEWED, S.DISCARDED, file_data=b""
        ):
            raise ConflictError(_refusal(job.status))
        audit_record(
            actor=actor, action="learning.question_import.discard", target=job, changes={"file": {"new": job.file_name}}
        )
    return access_job(actor, job.pk)


def _drawn_in(ids: set[int], since) -> list[tuple[str, int]]:
    """Exam attempts, daily quizzes, contest entries and duels (started since ``since``) whose
    drawn items include one of ``ids``."""
    found = []
    for model, label, stamp in (
        (Attempt, "考试作答", "started_at"),
        (DailyQuiz, "每日答题", "started_at"),
        (ContestEntry, "竞赛答题", "started_at"),
        (Duel, "答题对战", "created_at"),
    ):
        count = 0
        for items in model._base_manager.filter(**{f"{stamp}__gte": since}).values_list("items", flat=True).iterator():
            if any(isinstance(it, dict) and it.get("question") in ids for it in items or []):
                count += 1
        if count:
            found.append((label, count))
    return found


def undo(*, actor, job_id) -> QuestionImportJob:
    """Undo a confirmed import as a whole: delete the questions it created (and the knowledge
    points it created that nothing else uses). Refused (409) if a created question changed or
    has dependent rows (see the module docstring); never cascades."""
    job = _own_job(actor, job_id)
    jobs = QuestionImportJob.objects.filter(pk=job.pk)
    if job.status in (S.UNDOING, S.UNDONE):
        raise ConflictError(ALREADY_UNDONE)
    if job.status != S.SUCCEEDED:
        raise ConflictError("只能撤销已确认的导入")
    data = jobs.values_list("undo_data", flat=True).get()
    ids = [int(pk) for pk in data.get("created", [])]
    with transaction.atomic():
        if not import_plan.transition(jobs, S.SUCCEEDED, S.UNDOING):
            raise ConflictError(ALREADY_UNDONE)
        now, found = _prints(ids)
        changed = [pk for pk in data.get("after", {}) if now.get(pk) != data["after"][pk]]
        if changed:
            names = [
                f"第 {pk} 号试题（{found[pk].stem[:20]}）" if pk in found else f"已删除的试题 #{pk}" for pk in changed
            ]
            raise ConflictError(
                UNDO_REFUSED_CHANGED + "、".join(names[:20]) + ("等" if len(names) > 20 else ""),
                errors=[{"field": "question", "message": n} for n in names],
            )
        used = import_plan.dependents(Question, ids) + _drawn_in(set(ids), job.confirmed_at)
        if used:
            raise ConflictError(
                UNDO_REFUSED_USED.format(kinds="、".join(f"{name} {n} 条" for name, n in used)),
                errors=[{"field": "question", "message": f"{name}：{n} 条"} for name, n in used],
            )
        gone = list(Question._base_manager.filter(pk__in=ids))
        audits = [
            audit_event(
                actor, action="learning.question.import_undo", target=q, changes={"deleted": {"old": q.stem[:100]}}
            )
            for q in gone
        ]
        Question.knowledge_points.through.objects.filter(question_id__in=ids).delete()
        Question._base_manager.filter(pk__in=ids).delete()
        kp_ids = [int(pk) for pk in data.get("knowledge_points", [])]
        unused = [pk for pk in kp_ids if not import_plan.dependents(KnowledgePoint, [pk])]
        KnowledgePoint.objects.filter(pk__in=unused).delete()
        audit_bulk(audits)
        audit_record(
            actor=actor,
            action="learning.question_import.undo",
            target=job,
            changes={"deleted": {"new": len(gone)}, "knowledge_points_deleted": {"new": len(unused)}},
        )
        import_plan.transition(
            jobs,
            S.UNDOING,
            S.UNDONE,
            undone_at=timezone.now(),
            undone_by=actor,
            message=f"已撤销：删除本次导入新增的 {len(gone)} 道试题。",
        )
    return access_job(actor, job.pk)
