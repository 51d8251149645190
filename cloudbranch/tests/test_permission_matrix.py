"""Every page × every role, in one table.

The objects live in branch_a1 (secretary1's branch). secretary2 holds the same role on the
sibling branch a2, so anything of a1 must be *not found* (404) for him, never "forbidden":
nobody learns what exists outside their subtrees. Visible but not allowed is 403. The three
platform duties see no Party data at all. Each case runs on a fresh world, so a POST in one
case cannot change what another sees.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from cloudbranch.audit.services import audit_record
from cloudbranch.notifications.models import Notification
from cloudbranch.notifications.services import notify
from cloudbranch.orgs.models import RoleAssignment
from cloudbranch.people.models import ImportJob

ROLES = ("anonymous", "member1", "secretary1", "secretary2", "admin", "sysadmin", "secadmin", "auditor")

# (method, url name): expected status per role, in ROLES order.
MATRIX = {
    ("GET", "healthz"): (200, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "core:home"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts:login"): (200, 302, 302, 302, 302, 302, 302, 302),
    ("POST", "accounts:logout"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("GET", "accounts:profile"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "accounts:password_change"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "accounts:token_create"): (302, 422, 422, 422, 422, 422, 422, 422),
    ("POST", "accounts:token_revoke"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "accounts:users"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("GET", "accounts:user_create"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("GET", "accounts:user_edit"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("POST", "accounts:user_reset_password"): (302, 403, 403, 403, 403, 200, 403, 403),
    ("POST", "accounts:user_unlock"): (302, 403, 403, 403, 403, 302, 403, 403),
    ("POST", "accounts:user_set_duty"): (302, 403, 403, 403, 403, 302, 403, 403),
    ("GET", "orgs:tree"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "orgs:unit_pick"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "orgs:unit_detail"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "orgs:tree_children"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_create"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_edit"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_move"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_merge"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:unit_dissolve"): (302, 403, 403, 404, 200, 404, 404, 404),
    ("GET", "orgs:roles"): (302, 403, 403, 403, 403, 403, 200, 403),
    ("POST", "orgs:role_grant"): (302, 403, 403, 403, 403, 403, 422, 403),
    ("POST", "orgs:role_revoke"): (302, 403, 403, 403, 403, 403, 302, 403),
    ("GET", "people:list"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:own"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("GET", "people:export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:warnings"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:unit_picker"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people:unit_summary"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "people:committee"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "people:committee_end"): (302, 404, 404, 404, 404, 404, 404, 404),
    ("GET", "people:detail"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("GET", "people:edit"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "people:reveal_id"): (302, 404, 403, 404, 200, 404, 404, 404),
    ("GET", "people_import:start"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people_import:template"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "people_import:job"): (302, 403, 200, 404, 404, 403, 403, 403),
    ("GET", "people_import:job_progress"): (302, 403, 200, 404, 404, 403, 403, 403),
    ("GET", "audit:list"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "audit:detail"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "audit:export"): (302, 403, 403, 403, 403, 403, 403, 200),
    ("GET", "notifications:inbox"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "notifications:badge"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "notifications:preferences"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "notifications:mark_all_read"): (302, 302, 302, 302, 302, 302, 302, 302),
    ("POST", "notifications:open"): (302, 404, 302, 404, 404, 404, 404, 404),
    # Organizational life. The meeting is a scheduled meeting of branch_a1 with member1 and
    # a1_other invited (not yet present): member1 sees it and its records panel, but not the
    # minutes' printout or attachments, and cannot act as host.
    ("GET", "meetings:list"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:form_parts"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:themes"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("POST", "meetings:theme_create"): (302, 403, 403, 403, 422, 403, 403, 403),
    ("GET", "meetings:detail"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:edit"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:schedule"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("POST", "meetings:cancel"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("POST", "meetings:mark_held"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("POST", "meetings:archive"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("GET", "meetings:my_meetings"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "meetings:checkin"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("GET", "meetings:attendance_panel"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:checkin_screen"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:checkin_qr"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:leave_request"): (302, 302, 302, 404, 302, 404, 404, 404),
    ("POST", "meetings:leave_decide"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "meetings:mark_attendance"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "meetings:records_panel"): (302, 200, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:minutes_save"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("POST", "meetings:amendment_add"): (302, 403, 409, 404, 409, 404, 404, 404),
    ("POST", "meetings:attachment_upload"): (302, 403, 422, 404, 422, 404, 404, 404),
    ("GET", "meetings:print"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("GET", "meetings:attachment"): (302, 403, 200, 404, 200, 404, 404, 404),
    ("POST", "meetings:attachment_delete"): (302, 403, 302, 404, 302, 404, 404, 404),
    ("GET", "meetings:talks"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:talk_create"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:ledger"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "meetings:ledger_export"): (302, 403, 200, 404, 200, 403, 403, 403),
    ("GET", "meetings:compliance"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "meetings:calendar"): (302, 403, 200, 404, 200, 404, 404, 404),
    # Dues. Objects: a declared base, an open bill and a cash payment of a1_other, and member1's
    # own open bill with an online order. A member sees his own dues only.
    ("GET", "fees:bases"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:base_declare"): (302, 200, 200, 200, 200, 403, 403, 403),
    ("POST", "fees:base_import"): (302, 403, 302, 302, 302, 403, 403, 403),
    ("POST", "fees:base_decide"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "fees:bills"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "fees:bill_generate"): (302, 403, 302, 302, 302, 403, 403, 403),
    ("POST", "fees:bill_exempt"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "fees:my_dues"): (302, 200, 200, 200, 200, 200, 200, 200),
    ("POST", "fees:pay"): (302, 422, 422, 422, 422, 422, 422, 422),
    ("GET", "fees:order"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("GET", "fees:sandbox_checkout"): (302, 200, 404, 404, 404, 404, 404, 404),
    ("POST", "fees:callback"): (400, 400, 400, 400, 400, 400, 400, 400),
    ("GET", "fees:receipt"): (302, 404, 200, 404, 200, 404, 404, 404),
    ("POST", "fees:reverse"): (302, 404, 302, 404, 302, 404, 404, 404),
    ("GET", "fees:offline"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:entries"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:report"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:report_export"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("GET", "fees:arrears"): (302, 403, 200, 200, 200, 403, 403, 403),
    ("POST", "fees:arrears_decide"): (302, 404, 422, 404, 422, 404, 404, 404),
    ("GET", "fees:reconcile"): (302, 403, 403, 403, 200, 403, 403, 403),
}


def dues_objects(world) -> dict:
    """A declared base, an open bill and a cash payment of a1_other, member1's own open bill
    with an online order, and an arrears case, all in branch_a1."""
    import datetime

    from cloudbranch.fees import payments
    from cloudbranch.fees.models import ArrearsCase
    from cloudbranch.fees.tests.factories import make_base
    from cloudbranch.fees.tests.payments_support import make_bill

    other, member = world.people["a1_other"], world.people["member1"]
    base = make_base(other, by=world.users["secretary1"], status="declared")
    bill = make_bill(other, datetime.date(2026, 10, 1))
    paid = make_bill(other, datetime.date(2026, 9, 1))
    entry = payments.offline_payment(
        actor=world.users["admin"],
        bill_ids=[paid.pk],
        method="cash",
        receipt_no="R0001",
        paid_on=datetime.date(2026, 9, 5),
    )[0]
    order = payments.order_create(
        actor=world.users["member1"], bill_ids=[make_bill(member, datetime.date(2026, 10, 1)).pk]
    )
    case = ArrearsCase.objects.create(
        person=other, unit=world.branch_a1, first_month=datetime.date(2026, 1, 1), months=6
    )
    return {
        "fees:base_decide": (base.pk,),
        "fees:bill_exempt": (bill.pk,),
        "fees:receipt": (entry.pk,),
        "fees:reverse": (entry.pk,),
        "fees:order": (order.order_no,),
        "fees:sandbox_checkout": (order.order_no,),
        "fees:arrears_decide": (case.pk,),
        "fees:callback": ("sandbox",),
    }


MEETING_URLS = {
    "meetings:detail",
    "meetings:edit",
    "meetings:schedule",
    "meetings:cancel",
    "meetings:mark_held",
    "meetings:archive",
    "meetings:attendance_panel",
    "meetings:checkin_screen",
    "meetings:checkin_qr",
    "meetings:leave_request",
    "meetings:records_panel",
    "meetings:minutes_save",
    "meetings:amendment_add",
    "meetings:attachment_upload",
    "meetings:print",
}


def a1_meeting(world):
    """A scheduled meeting of branch_a1 with member1 and a1_other invited."""
    from cloudbranch.meetings.tests.factories import make_meeting

    return make_meeting(
        unit=world.branch_a1,
        created_by=world.users["secretary1"],
        status="scheduled",
        invitees=[world.people["member1"], world.people["a1_other"]],
    )


def url_args(world, name: str) -> tuple:
    """The object each URL is tried on: everything belongs to branch_a1 or to secretary1."""
    w = world
    if name in {
        "orgs:unit_detail",
        "orgs:tree_children",
        "orgs:unit_create",
        "orgs:unit_edit",
        "orgs:unit_move",
        "orgs:unit_merge",
        "orgs:unit_dissolve",
        "people:unit_summary",
        "people:committee",
    }:
        return (w.branch_a1.pk,)
    if name in {"people:detail", "people:edit", "people:reveal_id"}:
        return (w.people["a1_other"].pk,)
    if name in {"accounts:user_edit", "accounts:user_reset_password", "accounts:user_unlock", "accounts:user_set_duty"}:
        return (w.users["member1"].pk,)
    if name in {"people_import:job", "people_import:job_progress"}:
        job = ImportJob.objects.create(created_by=w.users["secretary1"], file_name="名册.xlsx", file_data=b"")
        return (job.pk,)
    if name == "audit:detail":
        return (audit_record(actor=w.users["admin"], action="orgs.unit.update", target=w.branch_a1).pk,)
    if name == "notifications:open":
        notify(recipients=[w.users["secretary1"]], category="system", title="通知")
        return (Notification.objects.get(recipient=w.users["secretary1"]).pk,)
    if name == "orgs:role_revoke":
        return (RoleAssignment.objects.get(user=w.users["secretary1"]).pk,)
    if name in {"accounts:token_revoke", "people:committee_end"}:
        return (987654,)
    if name in MEETING_URLS:
        return (a1_meeting(w).pk,)
    if name in {"meetings:leave_decide", "meetings:mark_attendance"}:
        return (a1_meeting(w).invitees.get(person=w.people["a1_other"]).pk,)
    if name in {"meetings:attachment", "meetings:attachment_delete"}:
        from django.core.files.base import ContentFile

        from cloudbranch.meetings.models import MeetingAttachment

        attachment = MeetingAttachment(
            meeting=a1_meeting(w),
            kind="document",
            original_name="记录.txt",
            content_type="text/plain",
            size=3,
            uploaded_by=w.users["secretary1"],
        )
        attachment.file.save("record.txt", ContentFile(b"abc"))
        return (attachment.pk,)
    if name == "meetings:calendar":
        return (w.branch_a1.pk,)
    if name.startswith("fees:"):
        return dues_objects(w).get(name, ())
    return ()


CASES = [
    pytest.param(method, name, role, expected[i], id=f"{method} {name} [{role}]")
    for (method, name), expected in MATRIX.items()
    for i, role in enumerate(ROLES)
]


QUERY = {"meetings:ledger": "?unit={a1}&year=2026", "meetings:ledger_export": "?unit={a1}&year=2026"}


@pytest.mark.parametrize(("method", "name", "role", "expected"), CASES)
def test_role_url_status(client, world, settings, tmp_path, method, name, role, expected):
    settings.MEDIA_ROOT = tmp_path
    url = reverse(name, args=url_args(world, name)) + QUERY.get(name, "").format(a1=world.branch_a1.pk)
    if role != "anonymous":
        client.force_login(world.users[role])
    response = client.get(url) if method == "GET" else client.post(url, {})
    assert response.status_code == expected, f"{method} {url} as {role}"
    if expected == 302 and role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))


def page_url_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "api":
                    continue  # the API has its own checks (schemathesis and per-app tests)
                inner = (
                    f"{namespace}:{pattern.namespace}"
                    if namespace and pattern.namespace
                    else (pattern.namespace or namespace)
                )
                walk(pattern, inner)
            elif pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver())
    return names


def test_every_page_has_a_row():
    covered = {name for _, name in MATRIX}
    assert page_url_names() == covered
