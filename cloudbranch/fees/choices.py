from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseKind(models.TextChoices):
    """What a member's dues base is (中组发〔2008〕3号)."""

    SALARY = "salary", _("工资收入（税后）")  # 第一条: 岗位工资、薪级工资、绩效工资、津贴补贴
    PENSION = "pension", _("离退休费（基本养老金）")
    STUDENT = "student", _("学生")
    NO_INCOME = "no_income", _("无固定收入（下岗失业、低保等）")


class BaseStatus(models.TextChoices):
    DECLARED = "declared", _("待审核")
    APPROVED = "approved", _("已审核")
    REJECTED = "rejected", _("已退回")


class BillStatus(models.TextChoices):
    OPEN = "open", _("待缴")
    PAID = "paid", _("已缴")
    EXEMPT = "exempt", _("免缴")


class OrderStatus(models.TextChoices):
    CREATED = "created", _("待支付")
    PAID = "paid", _("已支付")
    EXPIRED = "expired", _("已过期")
    FAILED = "failed", _("支付失败")


class EntryKind(models.TextChoices):
    PAYMENT = "payment", _("缴纳")
    VOLUNTARY = "voluntary", _("自愿多交")
    REVERSAL = "reversal", _("冲正")


class PaymentMethod(models.TextChoices):
    ONLINE = "online", _("在线支付")
    CASH = "cash", _("现金")
    TRANSFER = "transfer", _("转账")


class ArrearsStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    RESOLVED = "resolved", _("已补缴")
    DECIDED = "decided", _("支部已作决定")
