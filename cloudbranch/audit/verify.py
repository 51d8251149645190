"""Recomputing the chain: every changed row (hash mismatch), every missing row (seq gap, a
prev_hash that is not the previous row's hash, a head whose count or last hash differs)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from . import chain
from .models import AuditArchive, AuditChainHead, AuditEvent

VALUE_FIELDS = ("id", *chain.CONTENT_FIELDS, "chain_day", "seq", "prev_hash", "hash")

CHANGED, MISSING, BROKEN_LINK, HEAD, ARCHIVE = "changed", "missing", "broken_link", "head", "archive"


@dataclass
class Problem:
    day: datetime.date
    kind: str
    message: str
    seq: int | None = None
    event_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "day": self.day.isoformat(),
            "kind": self.kind,
            "seq": self.seq,
            "event_id": self.event_id,
            "message": self.message,
        }


@dataclass
class Report:
    days: list[datetime.date] = field(default_factory=list)
    events: int = 0
    archived_days: int = 0
    last_seq: int = 0  # of the day checked last (check_rows)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        span = f"{self.days[0]} – {self.days[-1]}" if self.days else "—"
        if self.ok:
            return (
                f"审计日志完整：{len(self.days)} 天（{span}），{self.events} 条记录，哈希链连续。"
                f" / Audit log intact: {len(self.days)} day(s), {self.events} event(s), chain unbroken."
            )
        bad_days = sorted({p.day for p in self.problems})
        return (
            f"审计日志完整性校验失败：{len(self.problems)} 处问题，涉及 {len(bad_days)} 天"
            f"（{', '.join(d.isoformat() for d in bad_days[:10])}）。"
            f" / Audit log integrity check FAILED: {len(self.problems)} problem(s) on {len(bad_days)} day(s)."
        )

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "days": len(self.days),
            "first_day": self.days[0].isoformat() if self.days else None,
            "last_day": self.days[-1].isoformat() if self.days else None,
            "events": self.events,
            "archived_days": self.archived_days,
            "problems": [p.as_dict() for p in self.problems],
            "summary": self.summary,
        }


def chain_days(since: datetime.date | None = None, until: datetime.date | None = None) -> list[datetime.date]:
    """Every day that has a head, rows or an archive, optionally within [since, until]."""
    days: set[datetime.date] = set()
    sources = (
        (AuditChainHead.objects.all(), "day"),
        (AuditArchive.objects.all(), "day"),
        (AuditEvent.objects.all(), "chain_day"),
    )
    for qs, name in sources:
        if since:
            qs = qs.filter(**{f"{name}__gte": since})
        if until:
            qs = qs.filter(**{f"{name}__lte": until})
        days.update(qs.order_by().values_list(name, flat=True).distinct())
    return sorted(days)


def _rows(day) -> Iterator[dict]:
    qs = AuditEvent.objects.filter(chain_day=day).order_by("seq").values(*VALUE_FIELDS)
    return qs.iterator(chunk_size=5000)


def check_rows(day, rows: Iterable[dict], expected_prev: str, report: Report) -> tuple[int, str | None, str | None]:
    """Check one day's rows (in seq order) against their hashes and each other. Returns the
    count, the last seq's hash and the first row's prev_hash."""
    expected_seq, prev, count, first_prev = 1, expected_prev, 0, None
    report_last_seq = 0
    problems = report.problems
    for row in rows:
        count += 1
        seq = row["seq"]
        if first_prev is None:
            first_prev = row["prev_hash"]
        if seq > expected_seq:
            gap = f"{expected_seq}" if seq - expected_seq == 1 else f"{expected_seq}–{seq - 1}"
            problems.append(
                Problem(day, MISSING, f"{day} 缺少序号 {gap} 的记录（已被删除）/ events {gap} missing", expected_seq)
            )
        elif seq < expected_seq:
            problems.append(Problem(day, CHANGED, f"{day} 序号 {seq} 重复或乱序 / seq out of order", seq, row["id"]))
        if row["prev_hash"] != prev and seq == expected_seq:
            problems.append(
                Problem(
                    day,
                    BROKEN_LINK,
                    f"{day} 序号 {seq}：前一哈希与上一条记录不符，其前的记录被删除或修改"
                    f" / prev_hash does not match the previous event",
                    seq,
                    row["id"],
                )
            )
        if chain.compute_hash(row) != row["hash"]:
            problems.append(
                Problem(day, CHANGED, f"{day} 序号 {seq}（编号 {row['id']}）内容被修改 / event changed", seq, row["id"])
            )
        expected_seq, prev = seq + 1, row["hash"]
        report_last_seq = seq
    report.events += count
    report.last_seq = report_last_seq
    return count, (prev if count else None), first_prev


def _check_head(day, head, last_seq: int, last_hash: str | None, report: Report) -> None:
    """The head's count and last hash must be the last row's: rows deleted at the end show here."""
    if head is None:
        report.problems.append(Problem(day, HEAD, f"{day} 缺少链头记录 / chain head missing"))
        return
    if head.seq != last_seq or (last_seq and head.last_hash != last_hash):
        count = last_seq
        missing = head.seq - count
        text = f"末尾缺少 {missing} 条" if missing > 0 else "条数或最后哈希与链头不符"
        report.problems.append(
            Problem(
                day,
                MISSING,
                f"{day} 链头记录 {head.seq} 条，最后一条序号为 {count}：{text} / head count {head.seq}, last seq {count}",
                count + 1 if missing > 0 else None,
            )
        )


def verify_chain(days: Iterable[datetime.date] | None = None, *, archive: bool = False, directory=None) -> Report:
    """Verify the given chain days (all when None). Archived days are checked against their
    manifest, and with ``archive=True`` also recomputed from their files (in ``directory``)."""
    from . import archive as archiving

    report = Report(days=sorted(set(days)) if days is not None else chain_days())
    if not report.days:
        return report
    heads = {h.day: h for h in AuditChainHead.objects.filter(day__lte=report.days[-1])}
    manifests = {m.day: m for m in AuditArchive.objects.filter(day__in=report.days)}
    known = sorted(set(heads) | set(report.days))
    previous = {d: known[i - 1] if i else None for i, d in enumerate(known)}
    last_of: dict[datetime.date, str] = {}
    for day in report.days:
        before = previous[day]
        if before is None:
            expected_prev = chain.GENESIS
        elif before in last_of:
            expected_prev = last_of[before]
        elif before in heads:
            expected_prev = heads[before].last_hash
        else:
            expected_prev = chain.GENESIS
        head = heads.get(day)
        manifest = manifests.get(day)
        if manifest is not None:
            report.archived_days += 1
            if manifest.prev_hash != expected_prev:
                report.problems.append(
                    Problem(day, BROKEN_LINK, f"{day}（已归档）与前一日的哈希链不连续 / archived day does not link")
                )
            if archive:
                try:
                    rows = list(archiving.read_archive(manifest, directory=directory))
                except archiving.ArchiveError as exc:
                    report.problems.append(Problem(day, ARCHIVE, f"{day} 归档文件：{exc}"))
                    rows = None
                if rows is not None:
                    count, last, _ = check_rows(day, rows, manifest.prev_hash, report)
                    if count != manifest.count or last != manifest.last_hash:
                        report.problems.append(
                            Problem(day, ARCHIVE, f"{day} 归档文件与清单不符 / archive file differs from manifest")
                        )
            _check_head(day, head, manifest.count, manifest.last_hash, report)
            last_of[day] = manifest.last_hash
            continue
        count, last, _ = check_rows(day, _rows(day), expected_prev, report)
        _check_head(day, head, report.last_seq, last, report)
        last_of[day] = last if last is not None else (head.last_hash if head else expected_prev)
    return report
