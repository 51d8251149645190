"""Grading of every question type (grading.py) and the key's text form (questions.py)."""

import pytest

from cloudbranch.learning import grading, questions
from cloudbranch.learning.choices import QuestionKind as K


def test_single_and_judge():
    assert grading.is_correct(K.SINGLE, [1], [1])
    assert grading.is_correct(K.SINGLE, [1], ["1"])
    assert not grading.is_correct(K.SINGLE, [1], [0])
    assert not grading.is_correct(K.SINGLE, [1], [1, 0])
    assert not grading.is_correct(K.SINGLE, [1], [])
    assert not grading.is_correct(K.SINGLE, [1], ["x"])
    assert grading.is_correct(K.JUDGE, [0], [0])
    assert not grading.is_correct(K.JUDGE, [0], [1])


def test_multiple_needs_the_exact_set():
    assert grading.is_correct(K.MULTIPLE, [0, 2], [2, 0])
    assert not grading.is_correct(K.MULTIPLE, [0, 2], [0])
    assert not grading.is_correct(K.MULTIPLE, [0, 2], [0, 2, 3])
    assert not grading.is_correct(K.MULTIPLE, [0, 2], [0, 0, 2])
    assert not grading.is_correct(K.MULTIPLE, [0, 2], [0, 9], option_count=4)


def test_fill_normalization():
    key = [["为人民服务", "全心全意为人民服务"], ["党章", "中国共产党章程"]]
    assert grading.is_correct(K.FILL, key, [" 全心全意为人民服务。", "《中国共产党章程》"])
    assert grading.is_correct(K.FILL, [["CPC"]], ["ｃｐｃ"])  # full width folded, case ignored
    assert not grading.is_correct(K.FILL, key, ["为人民服务"])  # one blank missing
    assert not grading.is_correct(K.FILL, key, ["为人民", "党章"])
    assert grading.is_correct(K.FILL, [["0"]], [0])  # a numeric answer is not dropped as "falsy"


def test_check_key():
    assert grading.check_key(K.SINGLE, ["a", "b"], [0]) == []
    assert grading.check_key(K.SINGLE, ["a", "b"], [0, 1])
    assert grading.check_key(K.MULTIPLE, ["a", "b", "c"], [0])
    assert grading.check_key(K.JUDGE, ["对", "错"], [0])
    assert grading.check_key(K.FILL, [], [[]])


@pytest.mark.parametrize(
    "kind,text,count,expected",
    [
        (K.SINGLE, "b", 4, [1]),
        (K.MULTIPLE, "C,A", 4, [0, 2]),
        (K.MULTIPLE, "ＡＣ", 4, [0, 2]),
        (K.JUDGE, "错误", 2, [1]),
        (K.JUDGE, "√", 2, [0]),
        (K.FILL, "为人民服务|全心全意为人民服务；党章", 0, [["为人民服务", "全心全意为人民服务"], ["党章"]]),
    ],
)
def test_parse_answer(kind, text, count, expected):
    assert questions.parse_answer(kind, text, count) == expected
    assert questions.parse_answer(kind, questions.answer_text(kind, expected), count) == expected


@pytest.mark.parametrize(
    "kind,text,count",
    [(K.SINGLE, "AB", 4), (K.SINGLE, "E", 4), (K.MULTIPLE, "A", 4), (K.JUDGE, "也许", 2), (K.FILL, "a；", 0)],
)
def test_parse_answer_errors(kind, text, count):
    with pytest.raises(ValueError):
        questions.parse_answer(kind, text, count)


def test_blank_count():
    assert questions.blank_count("党的宗旨是____，目标是（ ）。") == 2
    assert questions.blank_count("没有空") == 0
