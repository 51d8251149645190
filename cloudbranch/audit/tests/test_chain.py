"""The hash chain: continuity, and every change or deletion detected with its day and seq."""

import io
import json

import pytest
from django.core.management import call_command

from cloudbranch.audit import chain
from cloudbranch.audit.models import AuditChainHead, AuditEvent
from cloudbranch.audit.verify import BROKEN_LINK, CHANGED, MISSING, verify_chain

from .chain_helpers import DAY1, DAY2, on_day, raw, write_days


def _kinds(report):
    return {(p.kind, p.day, p.seq) for p in report.problems}


def test_chain_continuous_across_days_bulk_and_single(db, monkeypatch):
    write_days(monkeypatch)
    rows = list(AuditEvent.objects.order_by("chain_day", "seq"))
    assert [(e.chain_day, e.seq) for e in rows] == [(DAY1, i) for i in (1, 2, 3, 4)] + [(DAY2, i) for i in (1, 2, 3, 4)]
    assert rows[0].prev_hash == chain.GENESIS
    for prev, event in zip(rows, rows[1:], strict=False):
        assert event.prev_hash == prev.hash  # across the day boundary too
    assert all(e.hash == chain.compute_hash(vars(e)) for e in rows)
    heads = {h.day: (h.seq, h.last_hash) for h in AuditChainHead.objects.all()}
    assert heads == {DAY1: (4, rows[3].hash), DAY2: (4, rows[7].hash)}
    report = verify_chain()
    assert report.ok and report.events == 8 and report.days == [DAY1, DAY2], report.problems


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("changes", '{"n": {"old": 1, "new": 2}}'),
        ("target_repr", "丙"),
        ("occurred_at", "2020-01-01 00:00:00"),
    ],
)
def test_tampered_row_detected(db, monkeypatch, column, value):
    write_days(monkeypatch)
    victim = AuditEvent.objects.get(chain_day=DAY1, seq=2)
    raw(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", [value, victim.pk])
    report = verify_chain()
    assert _kinds(report) == {(CHANGED, DAY1, 2)}
    assert report.problems[0].event_id == victim.pk and "2026-01-05 序号 2" in report.problems[0].message


def test_rehashed_tampering_breaks_the_next_link(db, monkeypatch):
    write_days(monkeypatch)
    victim = AuditEvent.objects.get(chain_day=DAY1, seq=2)
    values = {**vars(victim), "action": "test.thing.forged"}
    raw(
        "UPDATE audit_auditevent SET action = %s, hash = %s WHERE id = %s",
        [values["action"], chain.compute_hash(values), victim.pk],
    )
    assert _kinds(verify_chain()) == {(BROKEN_LINK, DAY1, 3)}


@pytest.mark.parametrize(
    ("seq", "expected"), [(2, {(MISSING, DAY1, 2)}), (4, {(MISSING, DAY1, 4), (BROKEN_LINK, DAY2, 1)})]
)
def test_deleted_event_detected(db, monkeypatch, seq, expected):
    write_days(monkeypatch)
    raw("DELETE FROM audit_auditevent WHERE chain_day = %s AND seq = %s", [DAY1, seq])
    assert _kinds(verify_chain()) == expected


def test_deleted_last_event_of_the_last_day_detected_by_the_head(db, monkeypatch):
    write_days(monkeypatch)
    raw("DELETE FROM audit_auditevent WHERE chain_day = %s AND seq = 4", [DAY2])
    assert _kinds(verify_chain([DAY2])) == {(MISSING, DAY2, 4)}


def test_whole_day_deleted_detected(db, monkeypatch):
    write_days(monkeypatch, days=(DAY1, DAY2, DAY2.replace(day=7)))
    raw("DELETE FROM audit_auditevent WHERE chain_day = %s", [DAY2])
    assert _kinds(verify_chain()) == {(MISSING, DAY2, 1)}  # seqs 1–4 of the day: the first missing named
    raw("DELETE FROM audit_auditchainhead WHERE day = %s", [DAY2])  # the head too: the next day's link breaks
    assert _kinds(verify_chain()) == {(BROKEN_LINK, DAY2.replace(day=7), 1)}


def test_audit_verify_command(db, monkeypatch):
    write_days(monkeypatch)
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "审计日志完整" in out.getvalue() and "intact" in out.getvalue()
    raw("DELETE FROM audit_auditevent WHERE chain_day = %s AND seq = 3", [DAY2])
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify", "--day", "2026-01-06", stdout=out)
    assert exc.value.code == 1
    assert "[missing] 2026-01-06 seq 3" in out.getvalue() and "FAILED" in out.getvalue()
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("audit_verify", "--from", "2026-01-01", "--to", "2026-01-31", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["ok"] is False and data["problems"][0]["day"] == "2026-01-06" and data["problems"][0]["seq"] == 3


def test_new_day_starts_from_the_previous_days_last_hash(db, monkeypatch):
    write_days(monkeypatch, days=(DAY1,))
    on_day(monkeypatch, DAY2.replace(day=20))  # days without rows in between
    event = AuditEvent(action="test.thing.create", actor_name="system")
    event.save(force_insert=True)
    assert event.seq == 1 and event.prev_hash == AuditChainHead.objects.get(day=DAY1).last_hash
    assert verify_chain().ok
