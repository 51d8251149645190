from django.db import models
from django.utils.translation import gettext_lazy as _


class ElectionKind(models.TextChoices):
    """What an election fills. A committee (委员会) is elected and then divides its posts; a small
    branch without a committee elects its secretary (and deputy) directly; a delegates' election
    sends delegates to the congress of the unit above (基层组织选举工作条例 2020)."""

    COMMITTEE = "committee", _("委员会委员")
    SECRETARY = "secretary", _("书记、副书记")
    DELEGATES = "delegates", _("出席上级党代会代表")


class ElectionStatus(models.TextChoices):
    """draft → nominated (candidates published) → roll frozen (voters list fixed on the day) →
    voting (a round is open) → counted (every seat decided) → reported (the result and the
    division of posts sent up) → confirmed (the unit above approves; the new committee and its
    term are written to the unit). Cancelled from any state before confirmed, with a reason."""

    DRAFT = "draft", _("筹备中")
    NOMINATED = "nominated", _("候选人已确定")
    ROLL_FROZEN = "roll_frozen", _("选举人名单已确定")
    VOTING = "voting", _("投票中")
    COUNTED = "counted", _("计票完成")
    REPORTED = "reported", _("结果待上级批准")
    CONFIRMED = "confirmed", _("上级已批准")
    CANCELLED = "cancelled", _("已取消")


class RoundKind(models.TextChoices):
    FIRST = "first", _("正式选举")
    RUNOFF = "runoff", _("得票相等再投票")
    ADDITIONAL = "additional", _("另行选举")


class RoundStatus(models.TextChoices):
    OPEN = "open", _("投票中")
    CLOSED = "closed", _("已计票")
    VOID = "void", _("无效")


class Mark(models.TextChoices):
    """One mark on a ballot per candidate."""

    FOR = "for", _("赞成")
    AGAINST = "against", _("不赞成")
    ABSTAIN = "abstain", _("弃权")


class VoterExclusion(models.TextChoices):
    """Reasons for which an entitled voter may, with approval, not be counted among those who
    should attend (the 4/5 quorum base)."""

    ILLNESS = "illness", _("患病不能表达意志")
    ABROAD = "abroad", _("出国出境半年以上")
    DISCIPLINE = "discipline", _("受留党察看处分")
    OTHER = "other", _("其他经批准情形")


class AppraisalStatus(models.TextChoices):
    """self_assessment → rating (mutual) → proposal (the branch committee proposes grades) →
    decided (the general meeting decides) → closed (results written into members' history)."""

    SELF_ASSESSMENT = "self_assessment", _("个人自评")
    RATING = "rating", _("民主测评")
    PROPOSAL = "proposal", _("支委会提出意见")
    DECIDED = "decided", _("支部大会确定")
    CLOSED = "closed", _("已归档")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    QUALIFIED = "qualified", _("合格")
    BASIC = "basic", _("基本合格")
    UNQUALIFIED = "unqualified", _("不合格")


class UnqualifiedHandling(models.TextChoices):
    """What the branch decides for a member graded 不合格 (党员教育管理工作条例 ch. 7)."""

    CORRECT = "correct", _("限期改正")
    PERSUADE = "persuade", _("劝其退党")
    STRIKE_OFF = "strike_off", _("除名")
    DISCIPLINE = "discipline", _("移交纪律处分")


class AwardKind(models.TextChoices):
    EXCELLENT_MEMBER = "excellent_member", _("优秀共产党员")
    EXCELLENT_WORKER = "excellent_worker", _("优秀党务工作者")
    ADVANCED_ORG = "advanced_org", _("先进基层党组织")


# Award kinds whose nominee is a unit rather than a person.
UNIT_AWARDS = frozenset({AwardKind.ADVANCED_ORG})


class AwardRoundStatus(models.TextChoices):
    """nominating (units below nominate) → reviewing (each level reviews and forwards) → voting
    (the issuing committee votes) → notice (公示) → final (list published) ; cancelled."""

    NOMINATING = "nominating", _("推荐中")
    REVIEWING = "reviewing", _("审核中")
    VOTING = "voting", _("表决中")
    NOTICE = "notice", _("公示中")
    FINAL = "final", _("已公布")
    CANCELLED = "cancelled", _("已取消")


class NominationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("审核通过")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    ELECTED = "elected", _("表决通过")
    NOT_ELECTED = "not_elected", _("表决未通过")
    AWARDED = "awarded", _("已授予")
    REVOKED = "revoked", _("公示后撤销")


class ReviewDecision(models.TextChoices):
    FORWARD = "forward", _("同意并上报")
    APPROVE = "approve", _("审核通过")
    REJECT = "reject", _("不同意")
