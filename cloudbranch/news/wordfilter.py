"""The sensitive-word filter of comments: an Aho-Corasick automaton over normalized text.

Both the words and the text are NORMALIZED the same way before matching: NFKC (full-width
letters and digits become half-width, compatibility forms are folded), case folding, and every
character that is not a letter, a mark or a digit is dropped (spaces of every kind, punctuation,
symbols, zero-width and other format characters, variation selectors). So "敏 感", "敏*感",
"敏　感", "敏\u200b感" and "ＡＢＣ" / "a.b.c" all match the words "敏感" and "abc".

The automaton is built from the ``SensitiveWord`` rows once per process and rebuilt when the
rows change (one aggregate query per check compares a signature: count, latest id, latest
creation time, number of rejecting words and total length). Matching is linear in the length of
the text: each character follows one goto edge after amortized failure links, and each output
node is reported at most once.
"""

from __future__ import annotations

import threading
import unicodedata
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from .choices import WordAction

#: Marks that only change how a character looks (emoji and CJK variation selectors, the
#: combining grapheme joiner) are dropped although their category is "M".
_INVISIBLE_MARKS = frozenset([0x034F, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])

_STRENGTH = {WordAction.HOLD: 1, WordAction.REJECT: 2}


class _DropTable(dict):
    """``str.translate`` table filled lazily: a code point maps to None (dropped) unless it is a
    letter, a mark or a number."""

    def __missing__(self, cp: int):
        keep = cp not in _INVISIBLE_MARKS and unicodedata.category(chr(cp))[0] in "LMN"
        value = cp if keep else None
        self[cp] = value
        return value


_TABLE = _DropTable()


def normalize(text: str) -> str:
    """NFKC, case-folded, with everything but letters, marks and digits removed."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).translate(_TABLE)


def stronger(a: str | None, b: str | None) -> str | None:
    """The stronger of two actions: reject > hold > nothing."""
    return a if _STRENGTH.get(a, 0) >= _STRENGTH.get(b, 0) else b


@dataclass(frozen=True)
class FilterResult:
    """What a text matched: the words (as stored) and the strongest action, None if clean."""

    words: tuple[str, ...] = ()
    action: str | None = None

    @property
    def clean(self) -> bool:
        return self.action is None


@dataclass
class Automaton:
    """An Aho-Corasick automaton over normalized words. Build with :meth:`build`."""

    goto: list[dict[str, int]] = field(default_factory=lambda: [{}])
    fail: list[int] = field(default_factory=lambda: [0])
    #: Index into ``entries`` of the word ending at a node, or -1.
    out: list[int] = field(default_factory=lambda: [-1])
    #: The nearest node on the failure chain (excluding the node itself) that ends a word, or 0.
    dict_link: list[int] = field(default_factory=lambda: [0])
    #: (original words, action) per distinct normalized word.
    entries: list[tuple[tuple[str, ...], str]] = field(default_factory=list)

    @classmethod
    def build(cls, words: Iterable[tuple[str, str]]) -> Automaton:
        """``words``: (word, action) pairs. Words that normalize to the same key are merged
        (strongest action); words that normalize to nothing are ignored."""
        merged: dict[str, tuple[list[str], str]] = {}
        for word, action in words:
            key = normalize(word)
            if not key:
                continue
            if key in merged:
                originals, old = merged[key]
                originals.append(word)
                merged[key] = (originals, stronger(old, action))
            else:
                merged[key] = ([word], action)
        auto = cls()
        for key, (originals, action) in merged.items():
            node = 0
            for ch in key:
                nxt = auto.goto[node].get(ch)
                if nxt is None:
                    nxt = len(auto.goto)
                    auto.goto.append({})
                    auto.fail.append(0)
                    auto.out.append(-1)
                    auto.dict_link.append(0)
                    auto.goto[node][ch] = nxt
                node = nxt
            auto.out[node] = len(auto.entries)
            auto.entries.append((tuple(originals), action))
        # Breadth first: a node's failure link points to a shallower node, already finished.
        queue = deque(auto.goto[0].values())
        while queue:
            node = queue.popleft()
            for ch, child in auto.goto[node].items():
                queue.append(child)
                f = auto.fail[node]
                while f and ch not in auto.goto[f]:
                    f = auto.fail[f]
                target = auto.goto[f].get(ch, 0)
                auto.fail[child] = target if target != child else 0
                fc = auto.fail[child]
                auto.dict_link[child] = fc if auto.out[fc] >= 0 else auto.dict_link[fc]
        return auto

    def search_normalized(self, text: str) -> list[int]:
        """Indexes into ``entries`` of every word occurring in ``text`` (already normalized)."""
        goto, fail, out, dict_link = self.goto, self.fail, self.out, self.dict_link
        found: list[int] = []
        reported: set[int] = set()
        node = 0
        for ch in text:
            while node and ch not in goto[node]:
                node = fail[node]
            node = goto[node].get(ch, 0)
            m = node if out[node] >= 0 else dict_link[node]
            # Each output node is walked once: below an already reported node, all are reported.
            while m and m not in reported:
                reported.add(m)
                found.append(out[m])
                m = dict_link[m]
        return found

    def check(self, text: str) -> FilterResult:
        if not self.entries or not text:
            return FilterResult()
        words: list[str] = []
        action: str | None = None
        for index in self.search_normalized(normalize(text)):
            originals, word_action = self.entries[index]
            words.extend(originals)
            action = stronger(action, word_action)
        return FilterResult(words=tuple(sorted(words)), action=action)


# --- the per-process automaton built from SensitiveWord rows ---------------------------------

_lock = threading.Lock()
_current: tuple[tuple, Automaton] | None = None


def _signature() -> tuple:
    from django.db.models import Count, Max, Q, Sum
    from django.db.models.functions import Length

    from .models import SensitiveWord

    row = SensitiveWord.objects.aggregate(
        n=Count("id"),
        last_id=Max("id"),
        last_at=Max("created_at"),
        rejects=Count("id", filter=Q(action=WordAction.REJECT)),
        chars=Sum(Length("word")),
    )
    return (row["n"], row["last_id"], row["last_at"], row["rejects"], row["chars"])


def current_automaton() -> Automaton:
    """The automaton of the current word list (one query to compare the signature)."""
    global _current
    signature = _signature()
    cached = _current
    if cached is not None and cached[0] == signature:
        return cached[1]
    from .models import SensitiveWord

    with _lock:
        cached = _current
        if cached is not None and cached[0] == signature:
            return cached[1]
        automaton = Automaton.build(SensitiveWord.objects.values_list("word", "action"))
        _current = (signature, automaton)
        return automaton


def forget() -> None:
    """Drop the cached automaton (tests: primary keys repeat across rolled-back tests)."""
    global _current
    _current = None


def check(text: str) -> FilterResult:
    """Match ``text`` against the current word list."""
    return current_automaton().check(text)
