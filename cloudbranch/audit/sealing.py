"""Sealing new audit rows into today's chain, inside the caller's transaction.

The day's head row is locked with SELECT ... FOR UPDATE (PostgreSQL; SQLite serializes writers
with BEGIN IMMEDIATE) and stays locked until the caller commits: audited writes serialize on
it. docs/adr/0011-audit-hash-chain.md has the reasoning and the alternative (asynchronous
sealing).
"""

from __future__ import annotations

import contextlib

from django.db.models import GenericIPAddressField

from . import chain

_IP = GenericIPAddressField()


def lock_head(day):
    """Today's head, locked. A new day's head starts from the previous day's last hash, read
    under that head's lock (so a writer still finishing the previous day is waited for); days are
    always locked in ascending order, so this cannot deadlock."""
    from .models import AuditChainHead

    heads = AuditChainHead.objects.select_for_update()
    head = heads.filter(day=day).first()
    if head is None:
        prev = heads.filter(day__lt=day).order_by("-day").first()
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(day=day, seq=0, last_hash=prev.last_hash if prev else chain.GENESIS)],
            ignore_conflicts=True,
        )
        head = heads.get(day=day)
    return head


def _locked_head():
    while True:
        day = chain.chain_today()
        head = lock_head(day)
        # Waiting for the lock may have taken us past midnight: then the next day's chain may
        # already have started from this day's last hash, so write to the new day instead.
        if chain.chain_today() == day:
            return head


def seal(events, head) -> None:
    seq, prev = head.seq, head.last_hash
    for event in events:
        event.changes = chain.normalize_changes(event.changes)
        event.ip = _IP.get_prep_value(event.ip) or None
        seq += 1
        event.chain_day, event.seq, event.prev_hash = head.day, seq, prev
        event.hash = chain.compute_hash(vars(event))
        prev = event.hash
    head.seq, head.last_hash = seq, prev


@contextlib.contextmanager
def sealed(events):
    """Lock the head, seal ``events``, let the caller insert them, then move the head on."""
    from .models import AuditChainHead

    head = _locked_head()
    seal(events, head)
    yield
    AuditChainHead.objects.filter(day=head.day).update(seq=head.seq, last_hash=head.last_hash)
