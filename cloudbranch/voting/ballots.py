"""Secret ballots (无记名投票): casting on the phone, the teller's paper ballot entry.

Secrecy is kept in three places:

1. The schema. ``Ballot`` holds the round and the marks only: no voter, person or user, no
   timestamp, a random UUID key. Who voted is a separate row, ``VoteMark`` (round, voter), unique
   per round — that is what stops a second vote, and the ONLY thing the audit log records
   about casting (the audit row targets the VoteMark; it never carries a ballot id or marks).

2. The row order. Even with no link column, rows could leak the voting order (sequence, physical
   insertion order, "the last row is the last voter"). So the ballots of a round are shuffled as
   they are cast — an inside-out Fisher–Yates shuffle: when ballot number i+1 arrives and i
   ballots are stored, draw j uniformly from 0..i; if j == i the new row keeps its own marks,
   otherwise the new row receives the marks of the j-th stored ballot and that row receives the
   new marks. After every cast the assignment of marks to rows is a uniformly random permutation
   of the cast ballots, so neither any column nor the order of insertion tells whose ballot is
   whose. The round row is locked (select_for_update) for the whole cast, so two casts never
   swap with the same row at once.

3. The row versions. On PostgreSQL every row also carries the id of the transaction that wrote
   it (``xmin``), and the VoteMark written in the same transaction carries the same id: a ballot
   row written (inserted, or swapped into) by a cast would still point at that cast's voter.
   So when the round is closed, ``reseal`` writes the round's ballots once more, all in the
   closing transaction, in a fresh random order with fresh keys: afterwards every ballot row of
   the round has the same transaction id, that of the teller closing the round.

4. The pages and the API. After casting a voter sees "您已投票" and nothing else; no response
   contains a ballot id.

The random source is ``_rng`` (the system's CSPRNG); tests may replace it with a seeded one.
"""

from __future__ import annotations

import random

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError

from . import counting
from .choices import ElectionStatus, RoundStatus
from .elections import _round, access_election, clean_ids, voter_of
from .models import Ballot, Election, Round, VoteMark, Voter

_rng: random.Random = random.SystemRandom()


def clean_marks(rnd: Round, marks: dict, *, candidate_ids: list[int] | None = None) -> dict[str, str]:
    """Marks keyed by candidate id (str) for exactly the round's candidates; a candidate left
    unmarked is an abstention. Unknown candidates or marks are refused. A ballot with more "for"
    marks than the seats is accepted here and counted invalid (废票) at closing."""
    ids = candidate_ids if candidate_ids is not None else list(rnd.candidates.values_list("pk", flat=True))
    allowed = {str(i) for i in ids}
    errors = []
    out = {}
    for key, value in (marks or {}).items():
        key = str(key)
        if key not in allowed:
            errors.append({"field": "marks", "message": f"候选人 {key} 不在本轮选票上"})
        elif value not in counting.MARKS:
            errors.append({"field": f"mark_{key}", "message": "请选择赞成、不赞成或弃权"})
        else:
            out[key] = value
    if errors:
        raise DomainError("选票有误。", errors=errors)
    for key in allowed:
        out.setdefault(key, counting.ABSTAIN)
    return out


def _store(rnd: Round, marks: dict) -> None:
    """Insert one ballot with the inside-out Fisher–Yates swap (see the module docstring). The
    caller holds the round's row lock."""
    existing = Ballot.objects.filter(round=rnd).count()
    j = _rng.randrange(existing + 1)
    if j == existing:
        Ballot.objects.create(round=rnd, marks=marks)
        return
    other = Ballot.objects.filter(round=rnd).order_by("id")[j]
    Ballot.objects.create(round=rnd, marks=other.marks)
    other.marks = marks
    other.save(update_fields=["marks"])


def reseal(rnd: Round) -> int:
    """Rewrite the round's ballots (the caller holds the round's row lock, in the transaction that
    closes the round): the same multiset of marks, shuffled, as new rows with new keys, so that no
    ballot row keeps the transaction id of the cast that wrote it (see the module docstring)."""
    marks = list(Ballot.objects.filter(round=rnd).values_list("marks", flat=True))
    _rng.shuffle(marks)
    Ballot.objects.filter(round=rnd).delete()
    Ballot.objects.bulk_create([Ballot(round=rnd, marks=m) for m in marks])
    return len(marks)


def _locked_open_round(election: Election) -> Round:
    rnd = Round.objects.select_for_update().filter(election=election, status=RoundStatus.OPEN).first()
    if rnd is None:
        raise ConflictError("当前没有进行中的投票。")
    return rnd


def ballot_cast(*, actor, election, marks: dict) -> VoteMark:
    """A present voter casts their ballot on the phone, once per round (a second cast is a 409,
    also under concurrency: VoteMark is unique per round and voter). Returns the VoteMark —
    never the ballot."""
    pk = getattr(election, "pk", election)
    with transaction.atomic():
        election = access_election(actor, pk)
        voter = voter_of(actor, election)
        if voter is None:
            raise PermissionDenied
        if election.status != ElectionStatus.VOTING:
            raise ConflictError("当前没有进行中的投票。")
        rnd = _locked_open_round(election)
        if voter.excluded or not voter.present:
            raise DomainError("您尚未报到，不能投票。请先报到（开始投票前）或联系计票人。")
        if VoteMark.objects.filter(round=rnd, voter=voter).exists():
            raise ConflictError("您已投票，每轮只能投一次。")
        clean = clean_marks(rnd, marks)
        try:
            with transaction.atomic():
                mark = VoteMark.objects.create(round=rnd, voter=voter, paper=False)
        except IntegrityError:
            raise ConflictError("您已投票，每轮只能投一次。") from None
        _store(rnd, clean)
        # Who voted, in which round — nothing about the ballot (no id, no marks).
        audit_record(
            actor=actor,
            action="voting.vote.cast",
            target=("voting.votemark", mark.pk, f"{election.title} 第{rnd.number}轮 {voter.person.name} 已投票"),
            changes={"round": {"new": rnd.number}, "voter": {"new": voter.pk}, "paper": {"new": False}},
        )
    return mark


def paper_ballot_enter(*, actor, round, marks: dict) -> int:
    """The teller types one paper ballot. Returns the number of ballots now in the round."""
    with transaction.atomic():
        election, rnd = _round(actor, getattr(round, "pk", round))
        if rnd.status != RoundStatus.OPEN:
            raise ConflictError("这一轮已经结束。")
        clean = clean_marks(rnd, marks)
        _store(rnd, clean)
        total = Ballot.objects.filter(round=rnd).count()
        audit_record(
            actor=actor,
            action="voting.ballot.enter_paper",
            target=rnd,
            changes={"election": {"new": election.pk}, "ballots": {"new": total}},
        )
    return total


def paper_voters_mark(*, actor, round, voter_ids: list[int]) -> int:
    """The teller ticks present voters who handed in a paper ballot (VoteMark paper=True),
    separately from typing the ballots, so nothing ties a typed ballot to a voter."""
    with transaction.atomic():
        election, rnd = _round(actor, getattr(round, "pk", round))
        if rnd.status != RoundStatus.OPEN:
            raise ConflictError("这一轮已经结束。")
        voter_ids = clean_ids(voter_ids, field="voters", message="选举人有误。")
        voters = list(Voter.objects.filter(election=election, pk__in=voter_ids).select_related("person"))
        if len(voters) != len(set(voter_ids)):
            raise Http404
        errors = []
        done = set(VoteMark.objects.filter(round=rnd, voter__in=voters).values_list("voter_id", flat=True))
        for v in voters:
            if v.excluded or not v.present:
                errors.append({"field": "voters", "message": f"{v.person.name} 未到会"})
            elif v.pk in done:
                errors.append({"field": "voters", "message": f"{v.person.name} 已投票"})
        if errors:
            raise DomainError("；".join(e["message"] for e in errors) + "。", errors=errors)
        for v in voters:
            mark = VoteMark.objects.create(round=rnd, voter=v, paper=True)
            audit_record(
                actor=actor,
                action="voting.vote.paper",
                target=("voting.votemark", mark.pk, f"{election.title} 第{rnd.number}轮 {v.person.name} 纸质投票"),
                changes={"round": {"new": rnd.number}, "voter": {"new": v.pk}, "paper": {"new": True}},
            )
    return len(voters)


def has_voted(voter: Voter | None, rnd: Round | None) -> bool:
    return bool(voter and rnd and VoteMark.objects.filter(round=rnd, voter=voter).exists())
