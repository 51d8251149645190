from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.IntegerChoices):
    """The five stages of 发展党员工作细则 (2014), in order."""

    APPLICATION = 1, _("申请入党")
    ACTIVIST = 2, _("入党积极分子的确定和教育培养")
    CANDIDATE = 3, _("发展对象的确定和考察")
    ADMISSION = 4, _("预备党员的接收")
    PROBATION = 5, _("预备党员的教育考察和转正")


class Recorder(models.TextChoices):
    """Who may record a step: the branch (its secretary or organization officer) or the
    higher committee that approves admissions (基层党委)."""

    BRANCH = "branch", _("党支部")
    COMMITTEE = "committee", _("上级党委")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    COMPLETED = "completed", _("已转正")
    TERMINATED = "terminated", _("已终止")


class TerminationReason(models.TextChoices):
    WITHDRAWN = "withdrawn", _("本人撤回申请")
    DISQUALIFIED_ACTIVIST = "disqualified_activist", _("取消入党积极分子资格")
    NOT_ADMITTED = "not_admitted", _("支部大会或党委未通过接收")
    DISQUALIFIED_PROBATIONARY = "disqualified_probationary", _("取消预备党员资格")
    LEFT = "left", _("离校或调离，未转入其他党组织")
    DECEASED = "deceased", _("去世")
    OTHER = "other", _("其他")


class RecordStatus(models.TextChoices):
    VALID = "valid", _("有效")
    VOIDED = "voided", _("已撤销")


class ContactRole(models.TextChoices):
    SPONSOR = "sponsor", _("培养联系人")
    INTRODUCER = "introducer", _("入党介绍人")


class DocumentKind(models.TextChoices):
    APPLICATION = "application", _("入党申请书")
    TALK_RECORD = "talk_record", _("谈话记录")
    RECOMMENDATION = "recommendation", _("推荐材料（党员推荐、群团推优）")
    FILING = "filing", _("备案报告")
    ASSESSMENT = "assessment", _("培养考察登记")
    POLITICAL_REVIEW = "political_review", _("政治审查报告")
    TRAINING_CERTIFICATE = "training_certificate", _("集中培训结业证明")
    PUBLIC_NOTICE = "public_notice", _("公示材料")
    COMMITTEE_REVIEW = "committee_review", _("支委会审查意见")
    PRE_REVIEW = "pre_review", _("党委预审意见")
    ADMISSION_FORM = "admission_form", _("入党志愿书")
    VOTE_RECORD = "vote_record", _("支部大会记录及表决结果")
    COMMITTEE_TALK = "committee_talk", _("党委谈话记录")
    APPROVAL = "approval", _("党委审批意见")
    OATH = "oath", _("入党宣誓记录")
    CONFIRMATION_APPLICATION = "confirmation_application", _("转正申请书")
    EXTENSION = "extension", _("延长预备期决定")
    OTHER = "other", _("其他材料")


class NoticeKind(models.TextChoices):
    CANDIDATE = "candidate", _("发展对象公示")
    CONFIRMATION = "confirmation", _("预备党员转正公示")


class TransferKind(models.TextChoices):
    INTERNAL = "internal", _("系统内转接")
    OUTGOING = "outgoing", _("转出至系统外")
    INCOMING = "incoming", _("从系统外转入")


class TransferStatus(models.TextChoices):
    """Internal: pending_out → pending_in → completed. Outgoing: pending_out → letter_issued →
    completed (receipt back). Incoming: pending_in → completed. Any open state → rejected or
    cancelled."""

    PENDING_OUT = "pending_out", _("待转出方审批")
    PENDING_IN = "pending_in", _("待接收方审批")
    LETTER_ISSUED = "letter_issued", _("已开介绍信，待回执")
    COMPLETED = "completed", _("已完成")
    REJECTED = "rejected", _("已退回")
    CANCELLED = "cancelled", _("已撤销")


class TransferSide(models.TextChoices):
    SENDING = "sending", _("转出方")
    RECEIVING = "receiving", _("接收方")


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("退回")


class BatchStatus(models.TextChoices):
    VALIDATED = "validated", _("校验通过（未提交）")
    FAILED = "failed", _("有错误，未提交")
    SUBMITTED = "submitted", _("已提交")


class MobileReason(models.TextChoices):
    STUDY = "study", _("外出学习、交流")
    INTERNSHIP = "internship", _("实习、实践")
    WORK = "work", _("外出务工、就业")
    FAMILY = "family", _("随迁、探亲")
    MEDICAL = "medical", _("就医、休养")
    OTHER = "other", _("其他")


class MobileStatus(models.TextChoices):
    ACTIVE = "active", _("流动中")
    RETURNED = "returned", _("已返回")


class ActivityKind(models.TextChoices):
    ORG_LIFE = "org_life", _("线上组织生活")
    STUDY = "study", _("学习")
    VOLUNTEER = "volunteer", _("志愿服务")
    DUES = "dues", _("交纳党费")
    TALK = "talk", _("谈心谈话")
    OTHER = "other", _("其他")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    MESSAGE = "message", _("短信或微信")
    LETTER = "letter", _("信函")
    VISIT = "visit", _("上门走访")
    RELATIVES = "relatives", _("联系亲属或单位")
    OTHER = "other", _("其他")


class LostContactStatus(models.TextChoices):
    """SPEC §4 / 党员教育管理工作条例 第二十四条: after 6 months without contact the 停止党籍
    procedure; still unreachable 2 years after that, removal as 自行脱党."""

    OPEN = "open", _("失联中")
    SUSPENDED = "suspended", _("已停止党籍")
    REMOVED = "removed", _("已按自行脱党除名")
    RESTORED = "restored", _("已恢复联系")


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待阅")
    READ = "read", _("已阅")
