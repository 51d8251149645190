"""/api/audit: the audit log, for the audit administrator only (everyone else 403)."""

from django.http import StreamingHttpResponse
from ninja import Query, Router
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS

from .exporting import export_chain
from .models import AuditArchive
from .schemas import ArchiveOut, AuditEventOut, AuditFilterIn, PeriodIn, VerifyOut
from .selectors import AuditFilters, audit_event_list, require_auditor
from .services import audit_record, audit_verify_run
from .verify import chain_days

router = Router(tags=["audit"])


@router.get("/events", response=list[AuditEventOut], summary="审计事件（按时间倒序，仅审计管理员）")
@paginate
def event_list(request, filters: Query[AuditFilterIn]):
    require_auditor(request.auth)
    f = AuditFilters(**filters.dict())
    audit_record(actor=request.auth, action="audit.log.view", changes={"filters": f.as_dict(), "via": "api"})
    return audit_event_list(user=request.auth, filters=f)


@router.post("/verify", response={200: VerifyOut, **WRITE_ERRORS}, summary="校验哈希链完整性（仅审计管理员）")
def verify(request, period: Query[PeriodIn]):
    """Recompute the chain of the chain days ``from``..``to`` (default: every day). The run is
    audited; ``ok`` false lists each changed or missing event with its day and seq."""
    require_auditor(request.auth)
    days = chain_days(period.since, period.until) if (period.since or period.until) else None
    return audit_verify_run(actor=request.auth, days=days, via="api").as_dict()


@router.get("/archives", response=list[ArchiveOut], summary="归档清单（仅审计管理员）")
@paginate
def archive_list(request):
    require_auditor(request.auth)
    return AuditArchive.objects.order_by("-day")


@router.get(
    "/export",
    summary="导出一段时间的审计记录（gzip JSON Lines，含哈希，仅审计管理员）",
    response={200: None, **READ_ERRORS},
)
def export(request, period: Query[PeriodIn]):
    """Whole chain days ``from``..``to`` as ``application/gzip`` JSON lines, one event per line
    with ``prev_hash`` and ``hash`` (docs/adr/0011 says how to recompute them). Audited."""
    require_auditor(request.auth)
    stream = export_chain(user=request.auth, since=period.since, until=period.until, via="api")
    response = StreamingHttpResponse(stream, content_type="application/gzip")
    response["Content-Disposition"] = 'attachment; filename="audit-chain.jsonl.gz"'
    return response
