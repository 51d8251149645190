"""The integrity page, the verify button, the export with hashes, and their API: audit admin only."""

import gzip
import json

import pytest
from django.urls import reverse

from cloudbranch.audit import chain
from cloudbranch.audit.models import AuditEvent

from .chain_helpers import DAY1, DAY2, raw, write_days

OTHERS = ["admin", "secretary1", "secretary2", "member1", "sysadmin", "secadmin"]


@pytest.mark.parametrize("username", OTHERS)
def test_only_auditor(world, login, username):
    client = login(world.users[username])
    assert client.get(reverse("audit:integrity")).status_code == 403
    assert client.post(reverse("audit:verify")).status_code == 403
    assert client.get(reverse("audit:export_jsonl")).status_code == 403
    assert client.post("/api/audit/verify").status_code == 403
    assert client.get("/api/audit/archives").status_code == 403
    assert client.get("/api/audit/export").status_code == 403
    assert not AuditEvent.objects.filter(action__in=["audit.chain.verify", "audit.log.export"]).exists()


def test_anonymous(db, client):
    assert client.get(reverse("audit:integrity")).status_code == 302
    assert client.post("/api/audit/verify").status_code == 401


def test_verify_button_shows_result_and_is_audited(world, login, monkeypatch):
    write_days(monkeypatch)
    raw("DELETE FROM audit_auditevent WHERE chain_day = %s AND seq = 2", [DAY1])
    client = login(world.users["auditor"])
    resp = client.post(reverse("audit:verify"), {"since": "2026-01-01", "until": "2026-01-31"})
    body = resp.content.decode()
    assert resp.status_code == 200 and "完整性校验失败" in body and "2026-01-05 缺少序号 2" in body
    run = AuditEvent.objects.get(action="audit.chain.verify")
    assert run.actor == world.users["auditor"] and run.changes["ok"] is False and run.changes["problem_count"] == 1
    page = client.get(reverse("audit:integrity")).content.decode()
    assert "上次校验" in page and "发现 1 处问题" in page and "尚无归档" in page


def test_export_jsonl_has_the_chain_and_is_audited(world, login, monkeypatch):
    write_days(monkeypatch)
    client = login(world.users["auditor"])
    resp = client.get(reverse("audit:export_jsonl"), {"since": DAY2.isoformat(), "until": DAY2.isoformat()})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/gzip"
    rows = [json.loads(line) for line in gzip.decompress(b"".join(resp.streaming_content)).splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3, 4] and {r["chain_day"] for r in rows} == {"2026-01-06"}
    assert rows[0]["prev_hash"] == AuditEvent.objects.get(chain_day=DAY1, seq=4).hash
    assert all(chain.compute_hash(r) == r["hash"] for r in rows)
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:], strict=False))
    export = AuditEvent.objects.get(action="audit.log.export")
    assert export.actor == world.users["auditor"]
    assert export.changes == {
        "format": "jsonl.gz",
        "since": "2026-01-06",
        "until": "2026-01-06",
        "rows": 4,
        "via": "page",
    }


def test_api_verify_archives_export(world, client, monkeypatch):
    write_days(monkeypatch)
    client.force_login(world.users["auditor"])
    body = client.post("/api/audit/verify?from=2026-01-05&to=2026-01-06").json()
    assert body["ok"] is True and body["events"] == 8 and body["days"] == 2
    assert client.get("/api/audit/archives").json() == {"count": 0, "items": []}
    resp = client.get("/api/audit/export", {"from": "2026-01-05", "to": "2026-01-05"})
    rows = gzip.decompress(b"".join(resp.streaming_content)).splitlines()
    assert resp.status_code == 200 and len(rows) == 4
    assert AuditEvent.objects.get(action="audit.log.export").changes["via"] == "api"
