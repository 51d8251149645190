"""/api/audit: the audit log, for the audit administrator only (everyone else 403)."""

from ninja import Query, Router
from ninja.pagination import paginate

from .schemas import AuditEventOut, AuditFilterIn
from .selectors import AuditFilters, audit_event_list, require_auditor
from .services import audit_record

router = Router(tags=["audit"])


@router.get("/events", response=list[AuditEventOut], summary="审计事件（按时间倒序，仅审计管理员）")
@paginate
def event_list(request, filters: Query[AuditFilterIn]):
    require_auditor(request.auth)
    f = AuditFilters(**filters.dict())
    audit_record(actor=request.auth, action="audit.log.view", changes={"filters": f.as_dict(), "via": "api"})
    return audit_event_list(user=request.auth, filters=f)
