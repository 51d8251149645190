"""The question bank (题库): services and selectors.

A question belongs to a unit (``scope_path = unit__path``); managers holding
``learning.add_question`` at the unit create, edit and retire it. Once a question has been
answered (``AnswerRecord`` rows) its stem, options, answer and type are frozen so that every
recorded answer keeps meaning what it meant: retire it and add a new one instead. Explanation,
knowledge points, difficulty and source may still change.

The text form of a key is shared by the editor and the Excel import/export:
choice → letters ("AC"); judge → 正确/错误; fill-in → "答案1|同义答案；答案2" (blanks separated by
"；", accepted variants of one blank by "|"). Blanks are marked in the stem as "____" or "（ ）".
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q

from cloudbranch.audit.services import audit_record, field_changes, snapshot
from cloudbranch.core.errors import DomainError
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.scoping import access_by_id, can

from .audience import ancestor_paths
from .choices import Difficulty, QuestionKind, QuestionStatus
from .grading import check_key
from .models import AnswerRecord, KnowledgePoint, Question

ADD = "learning.add_question"
VIEW = "learning.view_question"
LETTERS = "ABCDEFGH"
MAX_OPTIONS = 8
FROZEN_FIELDS = ("kind", "stem", "options", "answer")
FREE_FIELDS = ("explanation", "difficulty", "source")
AUDITED = (*FROZEN_FIELDS, *FREE_FIELDS, "status")
BLANK_RE = re.compile(r"_{2,}|（\s*）|\(\s*\)")
JUDGE_OPTIONS = ["正确", "错误"]
JUDGE_WORDS = {"正确": 0, "对": 0, "√": 0, "是": 0, "T": 0, "TRUE": 0, "错误": 1, "错": 1, "×": 1, "X": 1, "否": 1}
JUDGE_WORDS |= {"F": 1, "FALSE": 1}
KIND_WORDS = {
    "单选题": QuestionKind.SINGLE,
    "单选": QuestionKind.SINGLE,
    "单项选择题": QuestionKind.SINGLE,
    "多选题": QuestionKind.MULTIPLE,
    "多选": QuestionKind.MULTIPLE,
    "多项选择题": QuestionKind.MULTIPLE,
    "判断题": QuestionKind.JUDGE,
    "判断": QuestionKind.JUDGE,
    "填空题": QuestionKind.FILL,
    "填空": QuestionKind.FILL,
}
DIFFICULTY_WORDS = {str(label): int(value) for value, label in Difficulty.choices} | {
    "简单": 1,
    "一般": 2,
    "难": 3,
    "困难": 3,
    "1": 1,
    "2": 2,
    "3": 3,
}


# --- text forms of keys ---------------------------------------------------------------------


def _nfkc(value) -> str:
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def blank_count(stem: str) -> int:
    return len(BLANK_RE.findall(stem or ""))


def parse_kind(text) -> str | None:
    raw = _nfkc(text).replace(" ", "")
    if raw in QuestionKind.values:
        return raw
    return KIND_WORDS.get(raw)


def parse_difficulty(text) -> int | None:
    raw = _nfkc(text).replace(" ", "")
    if not raw:
        return int(Difficulty.MEDIUM)
    if raw.endswith(".0"):
        raw = raw[:-2]
    return DIFFICULTY_WORDS.get(raw)


def parse_answer(kind: str, text, option_count: int) -> list:
    """The stored key for the text form; raises ``ValueError`` with a Chinese message."""
    raw = _nfkc(text)
    if not raw:
        raise ValueError("请填写答案")
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        letters = re.sub(r"[\s,;、，；/]+", "", raw).upper()
        if not re.fullmatch(r"[A-H]+", letters):
            raise ValueError(f"答案“{raw}”应为选项字母，如 A 或 AC")
        indexes = sorted({LETTERS.index(ch) for ch in letters})
        if any(i >= option_count for i in indexes):
            raise ValueError(f"答案“{raw}”超出了选项范围（共 {option_count} 个选项）")
        if kind == QuestionKind.SINGLE and len(indexes) != 1:
            raise ValueError("单选题只能有 1 个正确答案")
        if kind == QuestionKind.MULTIPLE and len(indexes) < 2:
            raise ValueError("多选题至少有 2 个正确答案")
        return indexes
    if kind == QuestionKind.JUDGE:
        value = JUDGE_WORDS.get(raw.replace(" ", "").upper())
        if value is None:
            raise ValueError(f"判断题答案应为“正确”或“错误”，而不是“{raw}”")
        return [value]
    if kind == QuestionKind.FILL:
        blanks = [b.strip() for b in raw.split(";")]
        key = [[a.strip() for a in blank.split("|") if a.strip()] for blank in blanks]
        if any(not accepted for accepted in key):
            raise ValueError("每个空至少需要一个可接受的答案（空与空之间用“；”分隔，同义答案用“|”分隔）")
        return key
    raise ValueError("未知的题型")


def answer_text(kind: str, answer) -> str:
    """The text form of a stored key (inverse of ``parse_answer``)."""
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return "".join(LETTERS[int(i)] for i in sorted(answer or []) if 0 <= int(i) < MAX_OPTIONS)
    if kind == QuestionKind.JUDGE:
        return JUDGE_OPTIONS[int(answer[0])] if answer else ""
    if kind == QuestionKind.FILL:
        return "；".join("|".join(str(a) for a in blank) for blank in answer or [])
    return ""


def split_names(text) -> list[str]:
    """Knowledge point names from "党章, 党的纪律、组织建设"."""
    names = []
    for part in re.split(r"[,;、，；\n]+", _nfkc(text)):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


# --- validation ------------------------------------------------------------------------------


def check_question(*, kind, stem, options, answer, difficulty=Difficulty.MEDIUM) -> list[dict]:
    """Every rule of a question → [{field, message}]."""
    errors: list[dict] = []
    if kind not in QuestionKind.values:
        return [{"field": "kind", "message": "请选择题型"}]
    stem = (stem or "").strip()
    if not stem:
        errors.append({"field": "stem", "message": "请填写题干"})
    elif len(stem) > 2000:
        errors.append({"field": "stem", "message": "题干过长（最多 2000 字）"})
    for message in check_key(kind, options or [], answer):
        field = "options" if "选项" in message and "答案" not in message else "answer"
        errors.append({"field": field, "message": message})
    if kind == QuestionKind.FILL and stem:
        blanks = blank_count(stem)
        if blanks == 0:
            errors.append({"field": "stem", "message": "填空题的题干中请用“____”或“（ ）”标出空"})
        elif answer and len(answer) != blanks:
            errors.append(
                {"field": "answer", "message": f"题干中有 {blanks} 个空，答案给出了 {len(answer)} 个空的答案"}
            )
    if any(len(str(o)) > 500 for o in options or []):
        errors.append({"field": "options", "message": "选项过长（每项最多 500 字）"})
    if difficulty not in Difficulty.values:
        errors.append({"field": "difficulty", "message": "难度应为容易、中等或较难"})
    return errors


def knowledge_points_for(names) -> list[KnowledgePoint]:
    """Knowledge points by name, created when missing (names are global tags)."""
    names = [n[:60] for n in names if n]
    if not names:
        return []
    existing = {kp.name: kp for kp in KnowledgePoint.objects.filter(name__in=names)}
    missing = [n for n in names if n not in existing]
    if missing:
        KnowledgePoint.objects.bulk_create([KnowledgePoint(name=n) for n in missing], ignore_conflicts=True)
        existing = {kp.name: kp for kp in KnowledgePoint.objects.filter(name__in=names)}
    return [existing[n] for n in names if n in existing]


def _kp_list(knowledge_points) -> list[KnowledgePoint]:
    kps = list(knowledge_points or [])
    if all(isinstance(k, KnowledgePoint) for k in kps):
        return kps
    if all(isinstance(k, int) for k in kps):
        return list(KnowledgePoint.objects.filter(pk__in=kps))
    return knowledge_points_for([str(k) for k in kps])


def _clean_options(kind, options) -> list[str]:
    if kind == QuestionKind.JUDGE:
        return list(JUDGE_OPTIONS)
    if kind == QuestionKind.FILL:
        return []
    return [str(o).strip() for o in options or []]


# --- services --------------------------------------------------------------------------------


def question_create(
    *,
    actor,
    unit: OrgUnit,
    kind: str,
    stem: str,
    options=(),
    answer,
    explanation: str = "",
    difficulty: int = Difficulty.MEDIUM,
    knowledge_points=(),
    source: str = "",
) -> Question:
    if not can(actor, ADD, unit):
        raise PermissionDenied
    options = _clean_options(kind, options)
    errors = check_question(kind=kind, stem=stem, options=options, answer=answer, difficulty=difficulty)
    if errors:
        raise DomainError("试题信息有误，请修改后再保存。", errors=errors)
    with transaction.atomic():
        question = Question.objects.create(
            unit=unit,
            kind=kind,
            stem=stem.strip(),
            options=options,
            answer=answer,
            explanation=(explanation or "").strip(),
            difficulty=difficulty,
            source=(source or "").strip()[:200],
            created_by=actor,
        )
        kps = _kp_list(knowledge_points)
        question.knowledge_points.set(kps)
        changes = field_changes({}, question, fields=AUDITED)
        changes["knowledge_points"] = {"new": [kp.name for kp in kps]}
        audit_record(actor=actor, action="learning.question.create", target=question, changes=changes)
    return question


def is_answered(question: Question) -> bool:
    return AnswerRecord.objects.filter(question=question).exists()


def question_update(*, actor, question: Question, knowledge_points=None, **fields) -> Question:
    """Edit a question. Once answered, its type, stem, options and answer are frozen."""
    if not can(actor, ADD, question.unit):
        raise PermissionDenied
    unknown = set(fields) - set(FROZEN_FIELDS) - set(FREE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    kind = fields.get("kind", question.kind)
    if "options" in fields or "kind" in fields:
        fields["options"] = _clean_options(kind, fields.get("options", question.options))
    before = snapshot(question, AUDITED)
    frozen_changed = [f for f in FROZEN_FIELDS if f in fields and fields[f] != before[f]]
    if frozen_changed and is_answered(question):
        raise DomainError(
            "这道题已经有人作答，题型、题干、选项和答案不能再修改；请停用本题并新增一道题。"
            "解析、知识点、难度和出处仍可修改。",
            errors=[{"field": f, "message": "已有作答记录，不能修改"} for f in frozen_changed],
        )
    data = {**before, **fields}
    errors = check_question(
        kind=data["kind"],
        stem=data["stem"],
        options=data["options"],
        answer=data["answer"],
        difficulty=data["difficulty"],
    )
    if errors:
        raise DomainError("试题信息有误，请修改后再保存。", errors=errors)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(question, name, value.strip() if isinstance(value, str) else value)
        question.save()
        changes = field_changes(before, question, fields=AUDITED)
        if knowledge_points is not None:
            old = sorted(kp.name for kp in question.knowledge_points.all())
            kps = _kp_list(knowledge_points)
            question.knowledge_points.set(kps)
            new = sorted(kp.name for kp in kps)
            if old != new:
                changes["knowledge_points"] = {"old": old, "new": new}
        if changes:
            audit_record(actor=actor, action="learning.question.update", target=question, changes=changes)
    return question


def question_set_status(*, actor, question: Question, status: str) -> Question:
    """Retire (停用) or restore a question; retired questions are never drawn or picked."""
    if not can(actor, ADD, question.unit):
        raise PermissionDenied
    if status not in QuestionStatus.values:
        raise DomainError("未知的状态")
    if question.status == status:
        return question
    with transaction.atomic():
        before = snapshot(question, ("status",))
        question.status = status
        question.save(update_fields=["status"])
        verb = "retire" if status == QuestionStatus.RETIRED else "restore"
        audit_record(
            actor=actor,
            action=f"learning.question.{verb}",
            target=question,
            changes=field_changes(before, question, fields=("status",)),
        )
    return question


# --- selectors -------------------------------------------------------------------------------


def question_list(*, user, filters: dict | None = None):
    """Questions the user may see, filtered; knowledge points prefetched (constant queries)."""
    f = filters or {}
    qs = Question.objects.restrict(user, VIEW).select_related("unit")
    if f.get("kind"):
        qs = qs.filter(kind=f["kind"])
    if f.get("kp"):
        qs = qs.filter(knowledge_points=f["kp"])
    if f.get("difficulty"):
        qs = qs.filter(difficulty=f["difficulty"])
    if f.get("status"):
        qs = qs.filter(status=f["status"])
    if f.get("unit"):
        unit = OrgUnit.objects.filter(pk=f["unit"]).only("path").first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if f.get("q"):
        for word in str(f["q"]).split()[:5]:
            qs = qs.filter(Q(stem__icontains=word) | Q(source__icontains=word))
    return qs.prefetch_related(Prefetch("knowledge_points", queryset=KnowledgePoint.objects.only("id", "name")))


def access_question(user, question_id, *, action: str = "view") -> Question:
    qs = Question.objects.select_related("unit").prefetch_related("knowledge_points")
    return access_by_id(user, Question, question_id, action=action, queryset=qs, view=VIEW)


def units_for_questions(user, limit: int = 300):
    """Units where the user may add questions (for forms)."""
    return list(
        OrgUnit.objects.restrict(user, ADD)
        .filter(status="active")
        .only("id", "name", "code", "path")
        .order_by("path")[:limit]
    )


def bank_for_unit(unit: OrgUnit):
    """Active questions a unit's papers may use: its own and those of the units above it
    (a branch uses the school's bank as well as its own)."""
    return Question.objects.filter(status=QuestionStatus.ACTIVE, unit__path__in=ancestor_paths(unit.path))
