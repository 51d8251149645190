"""Grading one answer, for every question type. Pure functions shared by exams, the daily quiz,
contests and duels.

Responses: single choice / judge → [index]; multiple choice → [indexes] (order ignored);
fill-in → [text per blank]. Indexes refer to ``Question.options`` as stored (pages shuffle
options for display and map them back before grading). Fill-in answers are compared after
normalization: surrounding spaces and punctuation dropped, full-width ASCII folded, case ignored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .choices import QuestionKind

_STRIP = " \t\r\n\u3000。，、；：！？,.;:!?\"'“”‘’（）()《》〈〉【】[]"


def normalize_text(value) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return text.strip(_STRIP).replace(" ", "").lower()


def _indexes(response) -> list[int] | None:
    try:
        return [int(v) for v in (response or [])]
    except (TypeError, ValueError):
        return None


def is_correct(kind: str, answer: Sequence, response, *, option_count: int | None = None) -> bool:
    """Whether ``response`` answers a question of ``kind`` whose key is ``answer``."""
    if kind in (QuestionKind.SINGLE, QuestionKind.JUDGE):
        got, key = _indexes(response), _indexes(answer)
        # compare as integers: a key stored as ["1"] (check_key accepts it) must grade like [1]
        return got is not None and key is not None and len(got) == 1 and len(key) == 1 and got[0] == key[0]
    if kind == QuestionKind.MULTIPLE:
        got = _indexes(response)
        if got is None or (option_count is not None and any(i < 0 or i >= option_count for i in got)):
            return False
        return len(got) == len(set(got)) and set(got) == {int(a) for a in answer}
    if kind == QuestionKind.FILL:
        blanks = list(response or [])
        if len(blanks) != len(answer):
            return False
        return all(
            normalize_text(given) in {normalize_text(a) for a in accepted}
            for given, accepted in zip(blanks, answer, strict=True)
        )
    raise ValueError(f"unknown question kind {kind!r}")


def grade(question, response) -> bool:
    """``is_correct`` for a ``Question`` row."""
    return is_correct(question.kind, question.answer, response, option_count=len(question.options or []))


def check_key(kind: str, options: Sequence, answer) -> list[str]:
    """Errors in a question's options and key (used by the editor and the Excel import)."""
    errors = []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(options) < 2:
            errors.append("选择题至少需要 2 个选项。")
        if len(options) > 8:
            errors.append("选项最多 8 个。")
        if any(not str(o).strip() for o in options):
            errors.append("选项不能为空。")
        idx = _indexes(answer)
        if not idx:
            errors.append("请给出正确答案。")
        elif any(i < 0 or i >= len(options) for i in idx):
            errors.append("正确答案超出了选项范围。")
        elif kind == QuestionKind.SINGLE and len(idx) != 1:
            errors.append("单选题只能有 1 个正确答案。")
        elif kind == QuestionKind.MULTIPLE and len(idx) < 2:
            errors.append("多选题至少有 2 个正确答案。")
    elif kind == QuestionKind.JUDGE:
        if list(options) != ["正确", "错误"]:
            errors.append("判断题的选项固定为“正确”“错误”。")
        if _indexes(answer) not in ([0], [1]):
            errors.append("判断题答案须为“正确”或“错误”。")
    elif kind == QuestionKind.FILL:
        if options:
            errors.append("填空题没有选项。")
        if not answer or any(not blank or not all(str(a).strip() for a in blank) for blank in answer):
            errors.append("请为每个空给出至少一个可接受的答案。")
    else:
        errors.append("未知的题型。")
    return errors
