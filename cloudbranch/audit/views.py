import io
import json

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from .selectors import AuditFilters, access_audit_event_by_id, audit_event_list, change_rows, require_auditor
from .services import audit_record

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 200_000


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


HEADERS = ["编号", "时间", "操作人", "操作", "对象类型", "对象编号", "对象", "变更", "IP 地址", "请求编号"]


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
            ws.append([f"仅导出前 {EXPORT_MAX_ROWS} 条，请缩小筛选范围。"])
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
