import datetime

from django.db import connection

from cloudbranch.audit import chain
from cloudbranch.audit.services import audit_bulk, audit_event, audit_record

DAY1 = datetime.date(2026, 1, 5)
DAY2 = datetime.date(2026, 1, 6)


def on_day(monkeypatch, day):
    monkeypatch.setattr(chain, "chain_today", lambda: day)


def write_days(monkeypatch, days=(DAY1, DAY2), per_day=4):
    """On each day: two single rows then a bulk of ``per_day - 2``."""
    for day in days:
        on_day(monkeypatch, day)
        audit_record(actor=None, action="test.thing.create", target=("thing", "1", "甲"), changes={"n": {"new": 1}})
        audit_record(actor=None, action="test.thing.update", target=("thing", "1", "甲"), changes={"n": {"old": 1}})
        audit_bulk(
            [audit_event(None, action="test.thing.import", target=("thing", str(i), "乙")) for i in range(per_day - 2)]
        )


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
