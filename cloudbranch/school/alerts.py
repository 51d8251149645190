"""Early-warning rule of the Party school (预警): a development case whose training step rests on a
revoked certificate.

Passing a candidates' class records the training step of the member's development case with the
certificate's serial (``results.record_training_step``). Revoking that certificate later does not
touch the development case (its records are the branch's, voided only by the branch with a reason),
so the case keeps a training step without a valid certificate behind it: the branch must check it
and void or re-record the step. The warning stays while the step is valid and the case open, and
clears itself once the branch voids the record (or the case ends). One query."""

from __future__ import annotations

import datetime

from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse

from cloudbranch.core.alerts import DANGER, AlertRule, Finding, register
from cloudbranch.development.choices import CaseStatus, RecordStatus
from cloudbranch.development.models import StepRecord

from .models import Certificate


def find_training_on_revoked_certificates(today: datetime.date) -> list[Finding]:
    revoked = Certificate.objects.filter(revoked_at__isnull=False, serial=OuterRef("serial"))
    rows = (
        StepRecord.objects.filter(step__code="training", status=RecordStatus.VALID, case__status=CaseStatus.OPEN)
        .annotate(serial=KeyTextTransform("certificate", "data"))
        .annotate(revoke_reason=Subquery(revoked.values("revoke_reason")[:1]))
        .filter(revoke_reason__isnull=False)
        .order_by("case_id", "id")
        .values_list("id", "case_id", "case__person__unit_id", "case__person__name", "serial", "revoke_reason")
    )
    return [
        Finding(
            unit_id=unit_id,
            subject=f"record:{record_id}",
            message=(
                f"{name}的发展程序“集中培训”一步所依据的结业证书 {serial} 已撤销（{reason}），"
                "请核实后撤销该步骤记录或重新记录"
            ),
            url=reverse("development:case_detail", args=[case_id]),
            severity=DANGER,
        )
        for record_id, case_id, unit_id, name, serial, reason in rows
    ]


register(
    AlertRule(
        key="development.training_certificate_revoked",
        label="培训证书已撤销",
        area="development",
        owner_perm="development.record_step",
        find=find_training_on_revoked_certificates,
        description="发展对象的“集中培训”步骤所依据的网上党校结业证书已被撤销，该步骤记录仍然有效。",
    )
)
