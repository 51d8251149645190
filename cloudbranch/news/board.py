"""留言板 (message board): services and selectors.

Who sees what:
- a PUBLIC message of a unit: every logged-in person of the same tree (same root unit) and, when
  the unit's ``NewsPolicy.public_board`` is on, visitors without login;
- a PRIVATE message (or one held by the sensitive-word filter): the unit's officers (news.view_message
  over the unit) and its author only;
- public replies go with their message; private replies only to the officers and the author.

Anonymity: an anonymous message stores its author, but nothing shown to anyone else (pages, API,
notification texts) names them — only "匿名". The creation is written to the audit log with the
author as actor, so the audit administrator (and only them) can trace abuse.

Visitors (no login) are rate limited per HMAC of their IP inside :func:`message_create` (3 per 10
minutes, 10 per day); the captcha is checked by the page before calling it (captcha.check).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import statistics
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    Avg,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Prefetch,
    Q,
    Value,
    Window,
)
from django.db.models.functions import RowNumber, StrIndex, Substr
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core.errors import ConflictError, DomainError
from cloudbranch.notifications import services as notifications
from cloudbranch.notifications.choices import Category as NotificationCategory
from cloudbranch.orgs.choices import UnitStatus
from cloudbranch.orgs.models import OrgUnit, RoleAssignment
from cloudbranch.orgs.roles import ROLE_PERMISSIONS
from cloudbranch.orgs.scoping import can, holds

from . import ratelimit
from .choices import MessageCategory, MessageStatus, WordAction
from .models import Message, MessageReply, NewsPolicy
from .portal_cache import bumps_portal

VIEW_PERM = "news.view_message"
REPLY_PERM = "news.reply_message"

TITLE_MAX = 200
BODY_MAX = 3000
NOTE_MAX = 1000
VISITOR_NAME_MAX = 50
VISITOR_CONTACT_MAX = 100
ANONYMOUS_LABEL = "匿名"
VISITOR_LABEL = "访客"
STALE_DAYS = 7

#: Visitors: (hits, window in seconds, window name) per IP hash.
VISITOR_LIMITS = ((3, 10 * 60, "10m"), (10, 24 * 3600, "day"))
RATE_LIMIT_MESSAGE = "留言过于频繁：同一网络每 10 分钟最多留言 3 条、每天最多 10 条，请稍后再试。"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class BoardClosed(DomainError):
    """The unit does not take messages from visitors without login."""

    status = 403
    code = "board_closed"


# --- helpers ---------------------------------------------------------------------------------


def ip_hash(ip: str | None) -> str:
    """HMAC-SHA256 of the IP with the SECRET_KEY: the same IP gives the same hash, the IP itself is never stored."""
    if not ip:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), f"ip:{ip}".encode(), hashlib.sha256).hexdigest()


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def _root_prefix(path: str) -> str:
    return "/" + path.strip("/").split("/")[0] + "/"


def user_roots(user) -> frozenset[str]:
    """Paths of the root units of the trees the user belongs to (through their person record or
    an active role). Cached on the user object (one query per request)."""
    if not _is_user(user):
        return frozenset()
    cached = getattr(user, "_cb_board_roots", None)
    if cached is None:
        from cloudbranch.people.models import Person

        paths = (
            Person.objects.filter(user_id=user.pk)
            .order_by()
            .values_list("unit__path", flat=True)
            .union(
                RoleAssignment.objects.active().filter(user_id=user.pk).order_by().values_list("unit__path", flat=True)
            )
        )
        cached = frozenset(_root_prefix(p) for p in paths if p)
        user._cb_board_roots = cached
    return cached


def in_tree(user, unit: OrgUnit) -> bool:
    return _root_prefix(unit.path) in user_roots(user)


def public_board_open(unit: OrgUnit) -> bool:
    """Whether visitors without login may read and write the unit's public board."""
    return unit.status == UnitStatus.ACTIVE and NewsPolicy.objects.filter(unit=unit, public_board=True).exists()


def is_officer(user, unit: OrgUnit) -> bool:
    return _is_user(user) and can(user, VIEW_PERM, unit)


def may_reply(user, unit: OrgUnit) -> bool:
    return _is_user(user) and can(user, REPLY_PERM, unit)


def author_label(message: Message, viewer=None) -> str:
    """How the author is shown to ``viewer``: never the name of an anonymous author (except "本人" to themselves)."""
    if message.author_id is None:
        return f"{VISITOR_LABEL}：{message.visitor_name}" if message.visitor_name else VISITOR_LABEL
    if message.anonymous:
        if _is_user(viewer) and viewer.pk == message.author_id:
            return f"{ANONYMOUS_LABEL}（本人）"
        return ANONYMOUS_LABEL
    return message.author.display_name or message.author.get_username()


def is_author(user, message: Message) -> bool:
    return _is_user(user) and message.author_id is not None and message.author_id == user.pk


def is_closing_note(message: Message, reply: MessageReply) -> bool:
    """The reply written by :func:`message_close` (it carries the message's closing time)."""
    return message.closed_at is not None and reply.created_at == message.closed_at


def _notification_category() -> str:
    return "news" if "news" in NotificationCategory.values else NotificationCategory.SYSTEM


def _unit_officers(unit: OrgUnit) -> list[int]:
    """Users holding a role with news.reply_message AT the unit itself (not above: no flood upward)."""
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if REPLY_PERM in perms]
    return list(
        RoleAssignment.objects.active()
        .filter(unit=unit, role__in=roles, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _screen(text: str):
    """The sensitive-word filter's verdict on ``text`` (action, words); nothing when the filter is absent."""
    try:
        from . import wordfilter
    except ImportError:  # pragma: no cover - the comments area provides it
        return None, ()
    check = getattr(wordfilter, "check", None)
    if check is None:  # pragma: no cover
        return None, ()
    result = check(text)
    return getattr(result, "action", None), tuple(getattr(result, "words", ()) or ())


def _text(value, *, field: str, label: str, maximum: int, required: bool = True) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}。", errors=[{"field": field, "message": "不能为空"}])
    if len(value) > maximum:
        raise DomainError(
            f"{label}最多 {maximum} 字。",
            errors=[{"field": field, "message": f"最多 {maximum} 字（现 {len(value)} 字）"}],
        )
    return value


# --- access ----------------------------------------------------------------------------------


def tree_units(*, user, q: str = "", limit: int = 20):
    """Active units of the user's tree(s) matching ``q`` (name or code), bigger units first."""
    roots = user_roots(user)
    if not roots:
        return OrgUnit.objects.none()
    qs = OrgUnit.objects.active().filter(Q(*[Q(path__startswith=r) for r in roots], _connector=Q.OR))
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return qs.order_by("depth", "sort_order", "code")[:limit]


def board_unit(*, user, unit_id) -> OrgUnit:
    """The unit whose board ``user`` opens: an active unit of their tree, or (visitors) one whose
    public board is open. Http404 otherwise."""
    try:
        unit = OrgUnit.objects.select_related("news_policy").get(pk=int(unit_id), status=UnitStatus.ACTIVE)
    except (OrgUnit.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if _is_user(user):
        if not in_tree(user, unit):
            raise Http404
    elif not _policy_open(unit):
        raise Http404
    return unit


def _policy_open(unit: OrgUnit) -> bool:
    try:
        return unit.news_policy.public_board
    except NewsPolicy.DoesNotExist:
        return False


def default_unit(user) -> OrgUnit | None:
    """The unit a logged-in person most likely writes to: their own branch."""
    from cloudbranch.people.models import Person

    if not _is_user(user):
        return None
    person = Person.objects.select_related("unit").filter(user_id=user.pk, unit__status=UnitStatus.ACTIVE).first()
    return person.unit if person else None


def may_read(user, message: Message) -> bool:
    if is_officer(user, message.unit) or is_author(user, message):
        return True
    if not message.public or message.unit.status != UnitStatus.ACTIVE:
        return False
    if _is_user(user):
        return in_tree(user, message.unit)
    return _policy_open(message.unit)


def access_message(user, message_id) -> Message:
    """The message ``user`` may read (with its unit and policy), or Http404."""
    try:
        message = Message.objects.select_related("unit__news_policy", "author").get(pk=int(message_id))
    except (Message.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not may_read(user, message):
        raise Http404
    return message


def officer_message(user, message_id) -> Message:
    """The message for an officer action (reply, close, pin), scoped by news.view_message like every
    officer's object: Http404 outside that scope (a sibling branch's secretary, a member — even if
    they may read the public message), PermissionDenied if seen but not allowed to reply."""
    try:
        message = Message.objects.select_related("unit__news_policy", "author").get(pk=int(message_id))
    except (Message.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None
    if not is_officer(user, message.unit):
        raise Http404
    if not may_reply(user, message.unit):
        raise PermissionDenied
    return message


# --- selectors -------------------------------------------------------------------------------


def visible_replies(message: Message, viewer) -> list[MessageReply]:
    replies = list(message.replies.select_related("author"))
    if is_officer(viewer, message.unit) or is_author(viewer, message):
        return replies
    return [r for r in replies if r.public]


def board_messages(*, user, unit: OrgUnit):
    """The unit's board: its public messages plus the viewer's own ones, pinned first, with the
    public replies prefetched (three queries per page: count, rows, replies)."""
    cond = Q(public=True)
    if _is_user(user):
        cond |= Q(author_id=user.pk)
    return (
        Message.objects.filter(cond, unit=unit)
        .select_related("author")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=MessageReply.objects.filter(public=True).select_related("author"),
                to_attr="public_replies",
            )
        )
        .order_by("-pinned", "-created_at", "-id")
    )


def api_messages(*, user, unit: OrgUnit | None):
    """For the API: a unit's messages as its board shows them, or all of them for its officers;
    without a unit, the officer's whole queue (or the user's own messages)."""
    if unit is None:
        if holds(user, VIEW_PERM):
            return officer_queue(user=user)
        return Message.objects.filter(author_id=user.pk).select_related("unit", "author").order_by("-created_at", "-id")
    if is_officer(user, unit):
        return Message.objects.filter(unit=unit).select_related("unit", "author").order_by("-pinned", "-created_at")
    return board_messages(user=user, unit=unit).select_related("unit")


def officer_queue(*, user, status: str = "", unit: OrgUnit | None = None, q: str = ""):
    """Messages of the units the officer may see (subtree), filtered; oldest open first."""
    qs = Message.objects.restrict(user, VIEW_PERM).select_related("unit", "author")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(body__icontains=q))
    order = ("created_at", "id") if status == MessageStatus.OPEN else ("-pinned", "-created_at", "-id")
    return qs.annotate(reply_count=Count("replies")).order_by(*order)


def queue_counts(*, user, unit: OrgUnit | None = None) -> dict[str, int]:
    qs = Message.objects.restrict(user, VIEW_PERM)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    counts = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    return {s: counts.get(s, 0) for s in MessageStatus.values}


def my_messages(*, user):
    return Message.objects.filter(author_id=user.pk).select_related("unit").order_by("-created_at", "-id")


# --- services --------------------------------------------------------------------------------


def _resolve_unit(unit) -> OrgUnit:
    if isinstance(unit, OrgUnit):
        return unit
    try:
        return OrgUnit.objects.select_related("news_policy").get(pk=int(unit))
    except (OrgUnit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise DomainError("请选择留言对象。", errors=[{"field": "unit", "message": "请选择本校的一个党组织"}]) from None


def _visitor_rate_limit(hashed: str) -> None:
    key = hashed or "no-ip"
    for limit, window, name in VISITOR_LIMITS:
        if not ratelimit.hit(f"news:board:{name}:{key}", limit, window):
            raise RateLimited(RATE_LIMIT_MESSAGE, errors=[{"message": RATE_LIMIT_MESSAGE}])


def message_create(
    *,
    actor=None,
    unit,
    category: str,
    title: str,
    body: str,
    anonymous: bool = False,
    public: bool = True,
    visitor_name: str = "",
    visitor_contact: str = "",
    ip: str = "",
) -> Message:
    """Leave a message to ``unit`` (an OrgUnit or its id).

    - ``actor`` logged in: any active unit of their tree; named or ``anonymous``.
    - ``actor`` None (a visitor): only when the unit's policy allows it (BoardClosed, 403), rate
      limited per IP hash (RateLimited, 429); the caller has checked the captcha. Never anonymous
      in the model sense: the visitor gives a name (optional) and a contact (officers only).
    - The sensitive-word filter rejects (422) or holds (the message is stored private, for the
      officers to review).
    """
    visitor = not _is_user(actor)
    unit = _resolve_unit(unit)
    if unit.status != UnitStatus.ACTIVE:
        raise DomainError("该组织已撤销或合并，不能留言。", errors=[{"field": "unit", "message": "组织已不存在"}])
    if visitor:
        if not _policy_open(unit):
            raise BoardClosed("该组织未开放访客留言，请登录后留言。")
    elif not in_tree(actor, unit):
        raise DomainError("只能给本校的党组织留言。", errors=[{"field": "unit", "message": "请选择本校的一个党组织"}])
    if category not in MessageCategory.values:
        raise DomainError("请选择留言类别。", errors=[{"field": "category", "message": "未知类别"}])
    title = _text(title, field="title", label="标题", maximum=TITLE_MAX)
    body = _text(body, field="body", label="留言内容", maximum=BODY_MAX)
    visitor_name = _text(visitor_name, field="visitor_name", label="称呼", maximum=VISITOR_NAME_MAX, required=False)
    visitor_contact = _text(
        visitor_contact, field="visitor_contact", label="联系方式", maximum=VISITOR_CONTACT_MAX, required=False
    )
    if not visitor:
        visitor_name = visitor_contact = ""
    else:
        anonymous = False
    action, words = _screen("\n".join([title, body, visitor_name]))
    if action == WordAction.REJECT:
        raise DomainError(
            "留言包含不允许发布的词语，请修改后再提交。",
            errors=[{"field": "body", "message": "包含不允许发布的词语"}],
        )
    held = action == WordAction.HOLD
    hashed = ip_hash(ip)
    if visitor:
        _visitor_rate_limit(hashed)
    with transaction.atomic():
        message = Message.objects.create(
            unit=unit,
            author=None if visitor else actor,
            anonymous=bool(anonymous),
            visitor_name=visitor_name,
            visitor_contact=visitor_contact,
            category=category,
            title=title,
            body=body,
            public=bool(public) and not held,
            ip_hash=hashed,
        )
        audit_record(
            actor=None if visitor else actor,
            action="news.message.create",
            target=("news.message", message.pk, title),
            changes={
                "unit": unit.pk,
                "category": category,
                "anonymous": message.anonymous,
                "public": message.public,
                "held": held,
                "held_words": list(words) if held else [],
                "visitor": visitor,
                "ip_hash": hashed,
            },
        )
        officers = [pk for pk in _unit_officers(unit) if visitor or pk != actor.pk]
        if officers:
            shown = author_label(message)
            notifications.notify(
                recipients=officers,
                category=_notification_category(),
                title=f"新留言{'（待审核）' if held else ''}：{title}"[:200],
                body=f"{shown} 给 {unit.name} 留言（{message.get_category_display()}）。",
                url=reverse("news:message", args=[message.pk]),
                actor=None,
            )
    return message


@bumps_portal
def message_reply(*, actor, message, body: str, public: bool = True) -> MessageReply:
    """An officer's reply; the first one marks the message answered. The author is notified."""
    message = officer_message(actor, getattr(message, "pk", message))
    body = _text(body, field="body", label="回复内容", maximum=BODY_MAX)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status == MessageStatus.CLOSED:
            raise ConflictError("留言已关闭，不能再回复；如有新问题请重新留言。")
        now = timezone.now()
        reply = MessageReply.objects.create(
            message=locked, author=actor, body=body, public=bool(public) and locked.public, created_at=now
        )
        before = locked.status
        if locked.status == MessageStatus.OPEN:
            locked.status = MessageStatus.ANSWERED
            locked.answered_at = now
            locked.save(update_fields=["status", "answered_at"])
        audit_record(
            actor=actor,
            action="news.message.reply",
            target=("news.message", locked.pk, locked.title),
            changes={"reply": reply.pk, "public": reply.public, "status": {"old": before, "new": locked.status}},
        )
        _notify_author(locked, actor, f"你的留言有了新回复：{locked.title}")
    return reply


@bumps_portal
def message_close(*, actor, message, note: str, public: bool = True) -> Message:
    """Close a message with a note (shown as the unit's last reply). A closed message is not reopened."""
    message = officer_message(actor, getattr(message, "pk", message))
    note = _text(note, field="note", label="关闭说明", maximum=NOTE_MAX)
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if locked.status == MessageStatus.CLOSED:
            raise ConflictError("留言已关闭。")
        now = timezone.now()
        MessageReply.objects.create(
            message=locked, author=actor, body=note, public=bool(public) and locked.public, created_at=now
        )
        before = locked.status
        locked.status = MessageStatus.CLOSED
        locked.closed_at = now
        if locked.answered_at is None:
            locked.answered_at = now
        locked.save(update_fields=["status", "closed_at", "answered_at"])
        audit_record(
            actor=actor,
            action="news.message.close",
            target=("news.message", locked.pk, locked.title),
            changes={"status": {"old": before, "new": locked.status}, "note": note},
        )
        _notify_author(locked, actor, f"你的留言已办结：{locked.title}")
    return locked


@bumps_portal
def message_pin(*, actor, message, pinned: bool) -> Message:
    """Pin a public message as a hot topic (热点, first on the board) or unpin it."""
    message = officer_message(actor, getattr(message, "pk", message))
    pinned = bool(pinned)
    if pinned and not message.public:
        raise DomainError("只有公开留言可以设为热点。")
    if message.pinned == pinned:
        return message
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(pinned=pinned)
        message.pinned = pinned
        audit_record(
            actor=actor,
            action="news.message.pin",
            target=("news.message", message.pk, message.title),
            changes={"pinned": {"old": not pinned, "new": pinned}},
        )
    return message


def _notify_author(message: Message, actor, title: str) -> None:
    if message.author_id is None or message.author_id == actor.pk:
        return
    notifications.notify(
        recipients=[message.author_id],
        category=_notification_category(),
        title=title[:200],
        body=f"{message.unit.name} 回复了你的留言。",
        url=reverse("news:message", args=[message.pk]),
        actor=None,
    )


# --- statistics ------------------------------------------------------------------------------


def child_prefix(unit: OrgUnit, lookup: str = "unit__path"):
    """SQL: the path of the child of ``unit`` holding the row's unit (``unit.path`` for the unit's own rows)."""
    n = len(unit.path)
    rest = Substr(lookup, n + 1)
    return Substr(lookup, 1, Value(n) + StrIndex(rest, Value("/")), output_field=CharField())


@dataclass
class StatRow:
    unit: OrgUnit | None  # None: the unit's own messages (本级) or the total
    label: str
    messages: int = 0
    answered: int = 0
    stale_open: int = 0
    avg_hours: float | None = None
    avg_seconds: float = 0.0
    median_hours: float | None = None
    categories: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered_rate(self) -> float | None:
        return round(100 * self.answered / self.messages, 1) if self.messages else None


def _seconds(value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000  # microseconds (some backends return the raw number)


def _hours(value) -> float | None:
    return None if value is None else round(_seconds(value) / 3600, 1)


def stats_units(*, user):
    return OrgUnit.objects.restrict(user, VIEW_PERM).active().order_by("depth", "sort_order", "code")


def board_stats(*, user, unit: OrgUnit, now=None) -> tuple[list[StatRow], StatRow]:
    """Per child unit of ``unit`` (and 本级): messages, answered rate, average and median response
    time (first reply − creation, hours), open for more than 7 days, top categories.

    Five queries whatever the number of messages: children, one grouped aggregate per child, the
    medians per child and overall (window functions return only the middle rows), the categories
    grouped per child."""
    if not is_officer(user, unit):
        raise PermissionDenied
    now = now or timezone.now()
    children = list(OrgUnit.objects.filter(parent=unit).order_by("status", "sort_order", "code"))
    subtree = Message.objects.filter(unit__path__startswith=unit.path)
    response = ExpressionWrapper(F("answered_at") - F("created_at"), output_field=DurationField())
    answered = Q(answered_at__isnull=False)
    grouped = (
        subtree.annotate(child=child_prefix(unit))
        .values("child")
        .annotate(
            total=Count("id"),
            answered=Count("id", filter=answered),
            avg=Avg(response, filter=answered),
            stale=Count(
                "id", filter=Q(status=MessageStatus.OPEN, created_at__lt=now - datetime.timedelta(days=STALE_DAYS))
            ),
        )
        .order_by()
    )
    rows: dict[str, StatRow] = {}
    for r in grouped:
        rows[r["child"]] = StatRow(
            unit=None,
            label="",
            messages=r["total"],
            answered=r["answered"],
            stale_open=r["stale"],
            avg_hours=_hours(r["avg"]),
            avg_seconds=_seconds(r["avg"]),
        )
    for child, hours in _medians(subtree, response, partition=child_prefix(unit)).items():
        if child in rows:
            rows[child].median_hours = hours
    cats = (
        subtree.annotate(child=child_prefix(unit)).values_list("child", "category").annotate(n=Count("id")).order_by()
    )
    labels = dict(MessageCategory.choices)
    total_categories: dict[str, int] = {}
    for child, category, n in cats:
        label = str(labels.get(category, category))
        total_categories[label] = total_categories.get(label, 0) + n
        if child in rows:
            rows[child].categories.append((label, n))
    for row in rows.values():
        row.categories = _top(row.categories)

    out: list[StatRow] = []
    for child in children:
        row = rows.pop(child.path, None)
        if row is None:
            if child.status != UnitStatus.ACTIVE:
                continue
            row = StatRow(unit=child, label=child.name)
        row.unit, row.label = child, child.name
        out.append(row)
    own = rows.pop(unit.path, None)
    if own is not None:
        own.unit, own.label = unit, f"{unit.name}（本级）"
        out.append(own)
    total = _total(out, unit=unit)
    total.median_hours = _medians(subtree, response, partition=None).get(None)
    total.categories = _top(total_categories.items())
    return out, total


def _top(pairs, n: int = 3) -> list[tuple[str, int]]:
    return sorted(pairs, key=lambda c: (-c[1], c[0]))[:n]


def _medians(qs, response, *, partition) -> dict:
    """Median response time (hours) of the answered messages of ``qs`` per ``partition`` value
    (or overall, keyed None): window functions rank the rows, only the middle one or two come back."""
    answered = qs.filter(answered_at__isnull=False)
    window = {"partition_by": [partition]} if partition is not None else {}
    middle = (
        answered.annotate(
            part=partition if partition is not None else Value(None, output_field=CharField()),
            response=response,
            rank=Window(RowNumber(), order_by=[response.asc(), F("id").asc()], **window),
            size=Window(Count("id"), **window),
        )
        .annotate(half=ExpressionWrapper(F("size") * Value(0.5), output_field=FloatField()))
        .filter(rank__gte=F("half"), rank__lte=F("half") + 1)
        .values_list("part", "response")
    )
    values: dict = {}
    for part, value in middle:
        seconds = value.total_seconds() if isinstance(value, datetime.timedelta) else float(value) / 1e6
        values.setdefault(part, []).append(seconds)
    return {part: round(statistics.mean(v) / 3600, 1) for part, v in values.items()}


def _total(rows: list[StatRow], *, unit: OrgUnit) -> StatRow:
    total = StatRow(unit=unit, label="合计")
    weighted = 0.0
    for r in rows:
        total.messages += r.messages
        total.answered += r.answered
        total.stale_open += r.stale_open
        if r.avg_hours is not None:
            weighted += r.avg_seconds * r.answered
    total.avg_hours = round(weighted / total.answered / 3600, 1) if total.answered else None
    return total
