"""Communication metrics (宣传与留言, SPEC §9), in the OBJECT's unit. One grouped query each.

* ``communication.articles_published``: articles published (status published, or withdrawn after
  publication) by the local date of ``published_at``, in the publishing unit.
* ``communication.messages``: message-board messages to the unit, by the local date of ``created_at``.
* ``communication.messages_answered`` / ``response_hours_sum``: of those messages (same month of
  creation, so the rates compare like with like), the ones answered and the hours from the message
  to its first answer (``answered_at``), summed; ``communication.response_hours`` = hours sum ÷
  answered, ``communication.answer_rate`` = answered ÷ messages.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

from cloudbranch.core.metric_queries import flow
from cloudbranch.core.metrics import FLOW, Metric, register

from .choices import ArticleStatus
from .models import Article, Message

MESSAGE_SOURCES = {"news.Message": "unit_id"}


def _published():
    return Article.objects.filter(
        status__in=(ArticleStatus.PUBLISHED, ArticleStatus.WITHDRAWN), published_at__isnull=False
    )


def _answered():
    return Message.objects.filter(answered_at__isnull=False)


def _response_time():
    return Sum(ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField()))


def _hours(compute):
    """Seconds (the duration sum) → hours with two decimals."""

    def wrapped(*args):
        return {k: (v / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP) for k, v in compute(*args).items()}

    return wrapped


_response = flow(_answered, unit="unit_id", day="created_at", aware=True, value=_response_time)

register(
    Metric(
        key="communication.articles_published",
        label="发布文章",
        area="communication",
        kind=FLOW,
        unit="篇",
        sources={"news.Article": "unit_id"},
        description="期内发布的文章篇数（按发布时间，发布后撤回的也计入），归属发布党组织。",
        **flow(_published, unit="unit_id", day="published_at", aware=True),
    )
)

register(
    Metric(
        key="communication.messages",
        label="收到留言",
        area="communication",
        kind=FLOW,
        unit="条",
        sources=MESSAGE_SOURCES,
        description="期内收到的留言条数（按留言时间），归属留言对象党组织。",
        **flow(Message.objects.all, unit="unit_id", day="created_at", aware=True),
    )
)

register(
    Metric(
        key="communication.messages_answered",
        label="已回复留言",
        area="communication",
        kind=FLOW,
        unit="条",
        sources=MESSAGE_SOURCES,
        description="期内收到的留言中已回复的条数（按留言时间计入留言所在期间），归属留言对象党组织。",
        **flow(
            Message.objects.all,
            unit="unit_id",
            day="created_at",
            aware=True,
            value=lambda: Count("pk", filter=Q(answered_at__isnull=False)),
        ),
    )
)

register(
    Metric(
        key="communication.response_hours_sum",
        label="留言回复用时合计",
        area="communication",
        kind=FLOW,
        unit="小时",
        sources=MESSAGE_SOURCES,
        description="期内收到并已回复的留言从留言到首次回复的小时数之和（按留言时间），归属留言对象党组织。",
        compute=_hours(_response["compute"]),
        compute_months=_hours(_response["compute_months"]),
    )
)

register(
    Metric(
        key="communication.answer_rate",
        label="留言回复率",
        area="communication",
        kind=FLOW,
        unit="%",
        numerator="communication.messages_answered",
        denominator="communication.messages",
        description="已回复留言 ÷ 收到留言。",
    )
)

register(
    Metric(
        key="communication.response_hours",
        label="留言平均回复用时",
        area="communication",
        kind=FLOW,
        unit="小时",
        numerator="communication.response_hours_sum",
        denominator="communication.messages_answered",
        scale=1,
        description="留言回复用时合计 ÷ 已回复留言。",
    )
)
