from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Category(models.TextChoices):
    STUDENT = "student", _("学生")
    FACULTY = "faculty", _("教师")
    STAFF = "staff", _("职工")
    RETIREE = "retiree", _("离退休")


class PoliticalStatus(models.TextChoices):
    """Ordered: each status is a later stage than the one before it."""

    MASSES = "masses", _("群众")
    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    CANDIDATE = "candidate", _("发展对象")
    PROBATIONARY = "probationary", _("预备党员")
    FULL = "full", _("中共党员")


STATUS_ORDER = list(PoliticalStatus.values)
PARTY_MEMBER_STATUSES = frozenset({PoliticalStatus.PROBATIONARY, PoliticalStatus.FULL})

# The date that marks entry into each stage, in pipeline order.
STAGE_DATES: list[tuple[str, str]] = [
    (PoliticalStatus.APPLICANT, "applied_on"),
    (PoliticalStatus.ACTIVIST, "activist_on"),
    (PoliticalStatus.CANDIDATE, "candidate_on"),
    (PoliticalStatus.PROBATIONARY, "joined_on"),
    (PoliticalStatus.FULL, "confirmed_on"),
]


class RosterStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    TRANSFERRED_OUT = "transferred_out", _("已转出")
    LEFT = "left", _("已离校")
    DECEASED = "deceased", _("已去世")


class PersonEventKind(models.TextChoices):
    CREATED = "created", _("建档")
    UPDATED = "updated", _("信息变更")
    STATUS = "status", _("政治面貌变更")
    UNIT = "unit", _("所在组织变更")
    FLAGS = "flags", _("标记变更")
    IMPORTED = "imported", _("导入")


class CommitteePosition(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    ORGANIZATION_OFFICER = "organization_officer", _("组织委员")
    PUBLICITY_OFFICER = "publicity_officer", _("宣传委员")
    DISCIPLINE_OFFICER = "discipline_officer", _("纪检委员")
    STUDY_OFFICER = "study_officer", _("学习委员")
    MEMBER = "member", _("委员")
