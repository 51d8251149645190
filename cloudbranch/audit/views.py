import datetime
import io
import json

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from cloudbranch.core.errors import DomainError

from . import archive as archiving
from . import chain
from .exporting import export_chain
from .models import AuditArchive, AuditEvent
from .selectors import AuditFilters, _date, access_audit_event_by_id, audit_event_list, change_rows, require_auditor
from .services import audit_record, audit_verify_run
from .verify import chain_days

PAGE_SIZE = 50
# Larger periods: the .jsonl.gz export streams any number of rows.
EXPORT_MAX_ROWS = 50_000
VERIFY_DEFAULT_DAYS = 31


@require_GET
def event_list(request):
    require_auditor(request.user)
    filters = AuditFilters.from_query(request.GET)
    page = Paginator(audit_event_list(user=request.user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    events = list(page)  # fetched before the read itself is logged, so the page shows the log as it was
    # Reading the audit log is itself audited: who looked at what, and when.
    audit_record(
        actor=request.user, action="audit.log.view", changes={"filters": filters.as_dict(), "page": page.number}
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page": page, "events": events, "filters": filters, "query": query.urlencode()}
    template = "audit/_event_table.html" if request.htmx else "audit/event_list.html"
    return render(request, template, context)


@require_GET
def event_detail(request, event_id: int):
    event = access_audit_event_by_id(user=request.user, event_id=event_id)
    audit_record(actor=request.user, action="audit.log.view", target=event)
    return render(request, "audit/event_detail.html", {"event": event, "rows": change_rows(event)})


HEADERS = [
    "编号",
    "时间",
    "操作人",
    "操作",
    "对象类型",
    "对象编号",
    "对象",
    "变更",
    "IP 地址",
    "请求编号",
    "链日期",
    "序号",
    "前一哈希",
    "哈希",
]


@require_GET
def export(request):
    """The filtered log as .xlsx (write-only workbook: constant memory per row)."""
    require_auditor(request.user)
    filters = AuditFilters.from_query(request.GET)
    qs = audit_event_list(user=request.user, filters=filters)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    ws.append(HEADERS)
    n = 0
    tz = timezone.get_current_timezone()
    for e in qs.iterator(chunk_size=2000):
        if n >= EXPORT_MAX_ROWS:
            ws.append([f"仅导出前 {EXPORT_MAX_ROWS} 条，请缩小筛选范围，或导出 .jsonl.gz（不限条数）。"])
            break
        ws.append(
            [
                e.pk,
                e.occurred_at.astimezone(tz).replace(tzinfo=None),
                e.actor_name,
                e.action,
                e.target_type,
                e.target_id,
                e.target_repr,
                json.dumps(e.changes, ensure_ascii=False, default=str) if e.changes else "",
                e.ip or "",
                e.request_id,
                e.chain_day,
                e.seq,
                e.prev_hash,
                e.hash,
            ]
        )
        n += 1
    audit_record(actor=request.user, action="audit.log.export", changes={"filters": filters.as_dict(), "rows": n})
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.xlsx"'
    return response


def _integrity_context(request, *, result=None, since=None, until=None) -> dict:
    manifests = Paginator(AuditArchive.objects.order_by("-day"), 20).get_page(request.GET.get("page"))
    last = AuditEvent.objects.filter(action="audit.chain.verify").order_by("-id").first()
    today = chain.chain_today()
    try:
        retention, cutoff, retention_error = archiving.retention_days(), archiving.cutoff_day(), ""
    except DomainError as exc:
        retention, cutoff, retention_error = None, None, exc.message
    return {
        "result": result,
        "last": last,
        "manifests": manifests,
        "page": manifests,
        "retention": retention,
        "cutoff": cutoff,
        "retention_error": retention_error,
        "since": since or today - datetime.timedelta(days=VERIFY_DEFAULT_DAYS - 1),
        "until": until or today,
        "export_since": today - datetime.timedelta(days=6),
        "export_until": today,
    }


@require_GET
def integrity(request):
    """完整性校验 (last result, run), 归档记录 (manifests), 导出 (with hashes)."""
    require_auditor(request.user)
    return render(request, "audit/integrity.html", _integrity_context(request))


@require_POST
def verify(request):
    """Recompute the chain of the chosen chain days (default: the last 31) and show the result."""
    require_auditor(request.user)
    since, until = _date(request.POST.get("since")), _date(request.POST.get("until"))
    today = chain.chain_today()
    since = since or today - datetime.timedelta(days=VERIFY_DEFAULT_DAYS - 1)
    until = until or today
    report = audit_verify_run(actor=request.user, days=chain_days(since, until), via="page")
    context = _integrity_context(request, result=report, since=since, until=until)
    return render(request, "audit/integrity.html", context)


@require_GET
def export_jsonl(request):
    """Whole chain days as gzip JSON lines with their hashes (streamed: any size)."""
    require_auditor(request.user)
    since, until = _date(request.GET.get("since")), _date(request.GET.get("until"))
    stream = export_chain(user=request.user, since=since, until=until, via="page")
    response = StreamingHttpResponse(stream, content_type="application/gzip")
    span = f"{since or 'start'}_{until or 'end'}"
    response["Content-Disposition"] = f'attachment; filename="audit-chain-{span}.jsonl.gz"'
    return response
