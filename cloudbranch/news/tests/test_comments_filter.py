"""The sensitive-word filter: normalization, Aho-Corasick matching, strongest action, linear time,
and the per-process automaton rebuilt when the word list changes."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudbranch.news import wordfilter
from cloudbranch.news.choices import WordAction
from cloudbranch.news.models import SensitiveWord
from cloudbranch.news.wordfilter import Automaton, normalize

HOLD, REJECT = WordAction.HOLD, WordAction.REJECT

#: What people put between the characters of a word to slip it past a filter.
SEPARATORS = [
    " ", "\u3000", "\t", "\n", "*", "＊", ".", "。", "，", ",", "-", "_", "|", "/", "\\", "~", "·", "、",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\ufe0f", "!", "#", "@", "★", "♥", "😀", "+", "=",
]  # fmt: skip


@pytest.fixture
def automaton():
    return Automaton.build([("敏感", HOLD), ("违禁词", REJECT), ("abc", HOLD), ("测试 词", HOLD)])


@pytest.mark.parametrize(
    "text",
    [
        "这是敏感内容",
        "这是敏 感内容",
        "这是敏*感内容",
        "这是敏　感内容",  # ideographic (full-width) space
        "这是敏\u200b感内容",  # zero-width space
        "敏.感",
        "敏-_-感",
        "敏\n感",
        "敏😀感",
    ],
)
def test_spaced_and_separated_variants_match(automaton, text):
    assert automaton.check(text).words == ("敏感",)
    assert automaton.check(text).action == HOLD


@pytest.mark.parametrize("text", ["ABC", "ＡＢＣ", "ａ ｂ ｃ", "A.b.C", "xxAbCxx", "Ａ\u200bＢ\u3000c"])
def test_full_width_and_case_variants_match(automaton, text):
    assert automaton.check(text).words == ("abc",)


def test_word_stored_with_separators_matches_plain_text(automaton):
    assert automaton.check("一个测试词").words == ("测试 词",)


def test_clean_text_does_not_match(automaton):
    result = automaton.check("支部召开组织生活会，大家积极发言。ab 不算 c？")
    assert result.clean and result.words == () and result.action is None
    assert automaton.check("敏锐、感受").clean  # characters of a word, but not adjacent


def test_strongest_action_and_all_words(automaton):
    result = automaton.check("敏感 和 违 禁 词 以及 abc")
    assert result.words == tuple(sorted(["abc", "违禁词", "敏感"]))
    assert result.action == REJECT


def test_overlapping_and_nested_words():
    auto = Automaton.build([("he", HOLD), ("she", HOLD), ("his", HOLD), ("hers", REJECT), ("e", HOLD)])
    result = auto.check("ushers")
    assert set(result.words) == {"he", "she", "hers", "e"}
    assert result.action == REJECT


def test_words_normalizing_alike_are_merged_with_the_stronger_action():
    auto = Automaton.build([("ＡＢ", HOLD), ("a b", REJECT), ("!!", REJECT)])  # "!!" normalizes to nothing
    result = auto.check("xaby")
    assert result.action == REJECT
    assert set(result.words) == {"ＡＢ", "a b"}
    assert auto.check("!!!").clean


def test_empty_word_list_never_matches():
    assert Automaton.build([]).check("任何内容").clean


def test_normalize():
    assert normalize("ＡＢＣ１２３ 敏\u3000感！") == "abc123敏感"
    assert normalize("Straße") == "strasse"


# --- properties ----------------------------------------------------------------------------------

word_chars = st.sampled_from("敏感词违规内容党支部abcxyz0123")
words_st = st.text(alphabet=word_chars, min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    word=words_st,
    gaps=st.lists(st.lists(st.sampled_from(SEPARATORS), max_size=3), min_size=7, max_size=7),
    before=st.text(max_size=10),
    after=st.text(max_size=10),
)
def test_any_insertion_of_separators_still_matches(word, gaps, before, after):
    spaced = "".join(ch + "".join(gaps[i]) for i, ch in enumerate(word))
    auto = Automaton.build([(word, REJECT)])
    result = auto.check(before + spaced + after)
    assert word in result.words
    assert result.action == REJECT


@settings(max_examples=200, deadline=None)
@given(words=st.lists(words_st, min_size=1, max_size=8), text=st.text(max_size=80))
def test_matches_exactly_the_words_contained_after_normalization(words, text):
    """Oracle: a word matches iff its normalized form is a substring of the normalized text; so a
    text without the words never matches."""
    auto = Automaton.build([(w, HOLD) for w in words])
    expected = {w for w in words if normalize(w) in normalize(text)}
    result = auto.check(text)
    assert set(result.words) == expected
    assert (result.action is None) == (not expected)


@settings(max_examples=100, deadline=None)
@given(
    words=st.lists(words_st, min_size=1, max_size=8),
    text=st.text(alphabet="今天天气很好我们学习文件 ，。", max_size=80),
)
def test_text_of_other_characters_never_matches(words, text):
    assert Automaton.build([(w, REJECT) for w in words]).check(text).clean


# --- linear time -----------------------------------------------------------------------------


class _CountingList(list):
    """A list that counts its reads: the failure links followed while matching."""

    reads = 0

    def __getitem__(self, index):
        self.reads += 1
        return super().__getitem__(index)


def _cpu(auto, text) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        auto.check(text)
        best = min(best, time.process_time() - start)
    return best


def test_linear_time_on_long_adversarial_text():
    """Words "a…ab" of every length up to 300 against "aaaa…": a naive scan is quadratic
    (n × 300 comparisons); the automaton follows at most one failure link per character
    (amortized), which is counted exactly, and its time grows about linearly."""
    auto = Automaton.build([("a" * k + "b", HOLD) for k in range(1, 300)] + [("敏感", REJECT)])
    for text in ("a" * 50_000 + "b", ("ab" * 300 + "a" * 299 + "c") * 50):
        auto.fail = _CountingList(auto.fail)
        auto.check(text)
        assert auto.fail.reads <= len(text)
    short, long = "a" * 20_000, "a" * 200_000
    t_short, t_long = _cpu(auto, short), _cpu(auto, long)
    assert t_long < 5.0
    assert t_long / max(t_short, 1e-4) < 40  # ×10 text → about ×10 CPU time; generous for loaded machines
    result = auto.check(long + "b" + "敏 感")
    assert result.action == REJECT and len(result.words) == 300


# --- the per-process automaton follows the word list -------------------------------------------


@pytest.fixture
def fresh_filter():
    wordfilter.forget()
    yield
    wordfilter.forget()


@pytest.mark.django_db
def test_current_automaton_is_cached_and_rebuilt_when_words_change(world, fresh_filter, django_assert_num_queries):
    admin = world.users["admin"]
    assert wordfilter.check("敏感").clean
    row = SensitiveWord.objects.create(word="敏感", action=HOLD, created_by=admin)
    assert wordfilter.check("敏 感").action == HOLD

    first = wordfilter.current_automaton()
    with django_assert_num_queries(1):  # the signature only: no rebuild
        assert wordfilter.current_automaton() is first

    SensitiveWord.objects.filter(pk=row.pk).update(action=REJECT)
    assert wordfilter.check("敏 感").action == REJECT
    SensitiveWord.objects.create(word="词语", action=HOLD, created_by=admin)
    assert wordfilter.check("词*语").words == ("词语",)
    SensitiveWord.objects.filter(pk=row.pk).delete()
    assert wordfilter.check("敏感").clean
