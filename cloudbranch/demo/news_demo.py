"""Communication demo data (issue 8 item 8) for the seeded demo tree.

``seed_news(root, seed=..., today=..., now=..., creator=..., demo=...)`` writes, once:

* the university committee's ``NewsPolicy`` with the public message board on;
* articles (texts of ``news_content.py``): news, notices and 党务公开 disclosures (type and
  disclosure period) of the university (public / school), of the demo college (subtree / members)
  and of secretary1's branch (members / subtree), one short news item per other college; a few
  pinned. Every published article has its ``ArticleReview`` history (submit by the author, approve
  by a reviewer of the unit or above); secretary1's branch has one article submitted and waiting
  for review and one rejected with the reviewer's comment. ``search_text`` from
  ``news.search.article_search_text`` (and the SQLite FTS index when the table exists);
* two notices that require reading: the college's, closed (deadline passed) with a high read rate,
  and the branch's members-only notice open until next week with about 60 % read — member1 has
  NOT read it yet (``ReadReceipt`` rows only for people of the audience, ``visibility.audience_q``);
* feed posts over the last three months: about two per branch of the demo college, a thinner
  sample elsewhere (bounded), many linked to a held meeting of the same branch seeded by
  ``life.py``; 1–9 photos each from a pool of twelve generated JPEGs (stored once, the same file
  shared by several ``PostPhoto`` rows), likes (``like_count`` = likes), a few comments by the demo
  logins (``comment_count`` = visible comments) and one held by the word filter for moderation;
* message-board threads to the university and the colleges: public and private, named,
  anonymous (the author stored) and from visitors of the public board; open / answered / closed
  with replies after hours to days; two pinned hot topics;
* one "post" ``PointEvent`` per post (rule and daily cap as stored, as ``point_award`` pays) with
  the week / month / year ``PointTally`` rows kept equal to the sums of the events.

Deterministic for a seed, a day and a database. Rows are written directly (demo data, not a
user's action); one audit row ``demo.seed.news`` holds the counts.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import io
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import F
from django.utils import timezone

from cloudbranch.audit.services import audit_record
from cloudbranch.core import search as core_search
from cloudbranch.meetings.choices import COUNTED_STATUSES
from cloudbranch.meetings.models import Meeting
from cloudbranch.news import search as news_search
from cloudbranch.news import visibility, wordfilter
from cloudbranch.news.choices import (
    ArticleStatus,
    CommentStatus,
    MessageStatus,
    ReviewAction,
    Reviewer,
    WordAction,
)
from cloudbranch.news.models import (
    Article,
    ArticleReview,
    Comment,
    Message,
    MessageReply,
    NewsPolicy,
    Post,
    PostLike,
    PostPhoto,
    ReadReceipt,
    SensitiveWord,
)
from cloudbranch.orgs.choices import BRANCH_KINDS, UnitKind, UnitStatus
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.people.choices import PARTY_MEMBER_STATUSES, RosterStatus
from cloudbranch.people.models import Person
from cloudbranch.points.models import PointEvent, PointRule, PointTally

from . import news_content as content

NEWS_ACTION = "demo.seed.news"
WINDOW_DAYS = 90  # feed posts over the last three months
POSTS_PER_DEMO_BRANCH = 2
OTHER_BRANCH_SHARE = 0.25  # branches elsewhere that posted something
OTHER_POSTS_MAX = 120  # posts outside the demo college, at most (keeps large scales fast)
MEETING_SHARE = 0.6  # posts that tell about a held meeting of the branch
PHOTO_COUNTS = (1, 1, 2, 3, 3, 4, 4, 6, 9)
CLOSED_READ_RATE = 0.93
OPEN_READ_RATE = 0.6
OTHER_COLLEGE_MESSAGES_MAX = 3
BATCH = 2000
LOGINS = ("admin", "college1", "secretary1", "secretary2", "member1", "collector1", "activist1")

# The generated photo pool: caption, two gradient colours, size.
PHOTOS = (
    ("主题党日", (178, 34, 34), (255, 196, 87), (960, 720)),
    ("志愿服务", (21, 101, 192), (129, 212, 250), (960, 720)),
    ("党课学习", (123, 31, 42), (239, 154, 154), (720, 960)),
    ("支部党员大会", (93, 64, 55), (215, 204, 200), (960, 720)),
    ("读书分享", (46, 125, 50), (197, 225, 165), (960, 640)),
    ("社区服务", (0, 121, 107), (128, 203, 196), (960, 720)),
    ("参观学习", (191, 54, 12), (255, 204, 128), (720, 960)),
    ("新生报到", (40, 53, 147), (159, 168, 218), (960, 720)),
    ("运动会保障", (230, 81, 0), (255, 224, 130), (960, 640)),
    ("无偿献血", (183, 28, 28), (255, 138, 128), (960, 720)),
    ("实验室开放日", (55, 71, 79), (176, 190, 197), (960, 720)),
    ("校园清扫", (51, 105, 30), (220, 237, 200), (720, 960)),
)
PHOTO_DIR = "news/demo"
FONT_DIR = Path("/usr/share/fonts/opentype/noto")


def has_news(root: OrgUnit) -> bool:
    return Article.objects.filter(unit__path__startswith=root.path).exists()


# --- photos ----------------------------------------------------------------------------------------


def _font(size: int):
    from PIL import ImageFont

    for name in ("NotoSansCJK-Bold.ttc", "NotoSansCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"):
        path = FONT_DIR / name
        if path.exists():
            try:
                return ImageFont.truetype(str(path), size)
            except OSError:
                continue
    return None


def demo_photo(index: int) -> tuple[bytes, int, int]:
    """JPEG bytes (about 40 KB), width and height of pool image ``index``: a diagonal two-colour
    gradient with soft circles, light grain and the caption (when a CJK font is installed)."""
    from PIL import Image, ImageDraw, ImageFilter

    caption, top, bottom, (width, height) = PHOTOS[index]
    rng = random.Random(index)
    side = 2 * max(width, height)  # rotate a large square and keep its middle: no empty corners
    mask = Image.linear_gradient("L").resize((side, side)).rotate(rng.choice((30, -30, 45, -45)))
    mask = mask.crop(((side - width) // 2, (side - height) // 2, (side + width) // 2, (side + height) // 2))
    img = Image.composite(Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask)
    shapes = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for _ in range(7):
        r = rng.randint(width // 12, width // 4)
        x, y = rng.randint(0, width), rng.randint(0, height)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, rng.randint(25, 70)))
    shapes = shapes.filter(ImageFilter.GaussianBlur(6))
    img = Image.alpha_composite(img.convert("RGBA"), shapes).convert("RGB")
    grain = Image.effect_noise((width, height), 28).convert("RGB")
    img = Image.blend(img, grain, 0.07)
    font = _font(max(36, width // 12))
    if font is not None:
        band = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(band)
        box = draw.textbbox((0, 0), caption, font=font)
        tw, th = box[2] - box[0], box[3] - box[1]
        x, y = (width - tw) // 2, int(height * 0.72)
        draw.rounded_rectangle((x - 28, y - 22, x + tw + 28, y + th + 22), radius=18, fill=(0, 0, 0, 110))
        img = Image.alpha_composite(img.convert("RGBA"), band).convert("RGB")
        draw = ImageDraw.Draw(img)
        draw.text((x - box[0], y - box[1]), caption, font=font, fill=(255, 255, 255))
        small = _font(max(18, width // 40))
        if small is not None:
            draw.text((24, 20), "云端支部 · 演示图片", font=small, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue(), width, height


def photo_pool() -> list[tuple[str, int, int]]:
    """Store the twelve demo photos once (``news/demo/feed-NN.jpg``; an existing file of that
    name is reused) and return (stored name, width, height) per image."""
    storage = PostPhoto._meta.get_field("image").storage
    pool = []
    for i, (_caption, _top, _bottom, (width, height)) in enumerate(PHOTOS):
        name = f"{PHOTO_DIR}/feed-{i + 1:02d}.jpg"
        if not storage.exists(name):
            data, width, height = demo_photo(i)
            name = storage.save(name, ContentFile(data))
        pool.append((name, width, height))
    return pool


# --- the seeder ------------------------------------------------------------------------------------


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


class _Fmt(dict):
    def __missing__(self, key):
        return ""


class Seeder:
    def __init__(self, root: OrgUnit, *, seed: int, today, now, creator: int, demo: dict[str, OrgUnit]):
        self.root, self.today, self.now = root, today, now
        self.rng = random.Random(f"news:{seed}:{today.isoformat()}")
        self.tz = timezone.get_current_timezone()
        self.counts: Counter = Counter()
        self.college = demo.get("college")
        self.branch1 = demo.get("branch1")
        self.branch2 = demo.get("branch2")
        self.school = self.college.parent if self.college is not None and self.college.parent_id else root
        User = get_user_model()
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.creator = User.objects.get(pk=creator)
        self.person_of_user = dict(Person.objects.filter(user__username__in=LOGINS).values_list("user_id", "id"))

    def user(self, name: str):
        return self.users.get(name) or self.creator

    def at(self, days: float, *, hour_lo: int = 8, hour_hi: int = 21) -> datetime.datetime:
        """A moment ``days`` ago during the day (never after now)."""
        day = self.today - datetime.timedelta(days=int(days))
        moment = datetime.datetime.combine(
            day, datetime.time(self.rng.randint(hour_lo, hour_hi - 1), self.rng.randint(0, 59)), tzinfo=self.tz
        )
        if moment > self.now:
            moment = self.now - datetime.timedelta(minutes=self.rng.randint(20, 240))
        return moment

    def clamp(self, moment: datetime.datetime) -> datetime.datetime:
        return min(moment, self.now - datetime.timedelta(minutes=1))

    # policies ---------------------------------------------------------------------------------
    def policies(self) -> None:
        units = {self.root.pk: self.root, self.school.pk: self.school}
        have = set(NewsPolicy.objects.filter(unit_id__in=units).values_list("unit_id", flat=True))
        rows = [
            NewsPolicy(
                unit=u, reviewer=Reviewer.PUBLICITY_OR_SECRETARY, public_board=True, updated_by=self.user("admin")
            )
            for pk, u in units.items()
            if pk not in have
        ]
        NewsPolicy.objects.bulk_create(rows)
        self.counts["policies"] = len(rows)

    # articles ---------------------------------------------------------------------------------
    def _names(self, queryset, n: int) -> list[str]:
        return list(queryset.order_by("-joined_on", "id").values_list("name", flat=True)[:n])

    def _context(self) -> dict:
        month = self.today.month
        ctx = _Fmt(
            school=self.school.name,
            college=self.college.name if self.college else self.school.name,
            branch=self.branch1.name if self.branch1 else self.school.name,
            year=self.today.year,
            month=month,
            quarter=(month - 1) // 3 + 1,
        )
        return ctx

    def articles(self) -> None:
        base = self._context()
        people = Person.objects.filter(roster_status=RosterStatus.ACTIVE)
        writers = {
            "school": (self.school, "admin", "admin"),
            "college": (self.college, "college1", "admin"),
            "branch": (self.branch1, "secretary1", "college1"),
        }
        plans: list[tuple[Article, list[tuple[str, str, str, datetime.datetime]]]] = []
        for spec in content.ARTICLES:
            unit, author, reviewer = writers[spec["level"]]
            if unit is None:
                continue
            ctx = _Fmt(base)
            if spec.get("disclosure_type") == "development":
                names = self._names(people.filter(unit__path__startswith=unit.path, political_status="probationary"), 4)
                ctx.update(names="、".join(names) or "（暂无）", count=len(names))
            elif spec.get("disclosure_type") == "awards":
                pool = people.filter(unit__path__startswith=unit.path, political_status="full", user__isnull=True)
                names = self._names(pool, 3 if spec["level"] == "school" else 1)
                ctx.update(names="、".join(names))
                if self.branch2 is not None and spec["level"] == "school":
                    ctx["branch"] = f"{base['branch']}、{self.branch2.name}"
            elif spec.get("disclosure_type") == "dues":
                ctx["count"] = people.filter(
                    unit__path__startswith=unit.path, political_status__in=PARTY_MEMBER_STATUSES
                ).count()
            plans.append(self._article(spec, unit, author, reviewer, ctx))
        if self.college is not None:
            others = OrgUnit.objects.filter(parent=self.school, status=UnitStatus.ACTIVE).exclude(pk=self.college.pk)
            for i, college in enumerate(others.order_by("sort_order", "id")):
                spec = dict(content.OTHER_COLLEGE_NEWS[i % len(content.OTHER_COLLEGE_NEWS)])
                spec.update(category="news", visibility="subtree", days=self.rng.randint(3, 80), level="other")
                plans.append(self._article(spec, college, "admin", "admin", _Fmt(base, college=college.name)))
        created = Article.objects.bulk_create([a for a, _ in plans], batch_size=BATCH)
        reviews = []
        for article, steps in zip(created, (s for _, s in plans), strict=True):
            for action, actor, comment, at in steps:
                reviews.append(ArticleReview(article=article, action=action, actor=actor, comment=comment, at=at))
        ArticleReview.objects.bulk_create(reviews, batch_size=BATCH)
        self.articles_by_key = {a._demo_key: a for a in created if getattr(a, "_demo_key", "")}
        rows = []
        for article in created:
            article.search_text = news_search.article_search_text(article)
            rows.append((article.pk, article.search_text))
        Article.objects.bulk_update(created, ["search_text"], batch_size=BATCH)
        core_search.fts_write(news_search.ARTICLE_FTS, rows)
        self.counts["articles"] = len(created)
        self.counts["reviews"] = len(reviews)
        self.counts["articles_published"] = sum(1 for a in created if a.status == ArticleStatus.PUBLISHED)
        self.counts["articles_pinned"] = sum(1 for a in created if a.pinned)
        self.counts["disclosures"] = sum(1 for a in created if a.category == "disclosure")
        self.counts["search_indexed"] = core_search.fts_available(news_search.ARTICLE_FTS)

    def _article(self, spec: dict, unit: OrgUnit, author: str, reviewer: str, ctx: dict):
        status = spec.get("status", ArticleStatus.PUBLISHED)
        author_user, reviewer_user = self.user(author), self.user(reviewer)
        published = self.at(spec["days"])
        submitted = published - datetime.timedelta(hours=self.rng.randint(2, 30), minutes=self.rng.randint(0, 59))
        created = submitted - datetime.timedelta(hours=self.rng.randint(1, 48))
        article = Article(
            unit=unit,
            category=spec["category"],
            disclosure_type=spec.get("disclosure_type", ""),
            title=spec["title"].format_map(ctx)[:200],
            summary=spec.get("summary", "").format_map(ctx)[:300],
            body=_html([p.format_map(ctx) for p in spec["body"]]),
            visibility=spec["visibility"],
            status=status,
            pinned=bool(spec.get("pinned")),
            author=author_user,
            created_at=created,
        )
        article._demo_key = spec.get("key", "")
        if spec.get("disclosure_type"):
            article.disclosure_from = published.astimezone(self.tz).date()
            article.disclosure_to = article.disclosure_from + datetime.timedelta(days=spec.get("period", 7))
        if spec.get("requires_reading"):
            article.requires_reading = True
            article.read_deadline = self.today + datetime.timedelta(days=spec["deadline"])
            deadline = f"{article.read_deadline.month}月{article.read_deadline.day}日"
            article.body = _html([p.format_map(_Fmt(ctx, deadline=deadline)) for p in spec["body"]])
        steps = [(ReviewAction.SUBMIT, author_user, "", submitted)]
        if status == ArticleStatus.PUBLISHED:
            article.published_at = published
            steps.append((ReviewAction.APPROVE, reviewer_user, "", published))
        elif status == ArticleStatus.SUBMITTED:
            # Waiting in the queue: submitted recently, nothing decided yet.
            submitted = self.clamp(self.now - datetime.timedelta(hours=self.rng.randint(2, 6)))
            article.created_at = submitted - datetime.timedelta(hours=3)
            steps = [(ReviewAction.SUBMIT, author_user, "", submitted)]
        elif status == ArticleStatus.REJECTED:
            submitted = self.now - datetime.timedelta(days=1, hours=self.rng.randint(2, 8))
            article.created_at = submitted - datetime.timedelta(hours=5)
            steps = [
                (ReviewAction.SUBMIT, author_user, "", submitted),
                (ReviewAction.REJECT, reviewer_user, spec["reject"], submitted + datetime.timedelta(hours=4)),
            ]
        return article, steps

    # read receipts -----------------------------------------------------------------------------
    def receipts(self) -> None:
        member1 = self.person_of_user.get(self.users["member1"].pk) if "member1" in self.users else None
        rows = []
        for key, rate in (("college-notice-reading", CLOSED_READ_RATE), ("branch-notice-open", OPEN_READ_RATE)):
            article = self.articles_by_key.get(key)
            if article is None:
                continue
            audience = list(
                Person.objects.filter(visibility.audience_q(article)).order_by("id").values_list("id", flat=True)
            )
            closed = article.read_deadline < self.today
            candidates = [p for p in audience if closed or p != member1]
            readers = self.rng.sample(candidates, round(len(audience) * rate) if audience else 0)
            end = (
                datetime.datetime.combine(article.read_deadline, datetime.time(22, 0), tzinfo=self.tz)
                if closed
                else self.now
            )
            span = (end - article.published_at).total_seconds()
            for person in readers:
                # Most read in the first days: an exponential-ish spread over the reading window.
                share = min(1.0, self.rng.expovariate(4.0))
                at = article.published_at + datetime.timedelta(seconds=max(300, span * share))
                rows.append(ReadReceipt(article=article, person_id=person, read_at=self.clamp(min(at, end))))
            self.counts[f"receipts_{'closed' if closed else 'open'}"] = len(readers)
            self.counts[f"audience_{'closed' if closed else 'open'}"] = len(audience)
        ReadReceipt.objects.bulk_create(rows, batch_size=BATCH)
        self.counts["receipts"] = len(rows)

    # feed ---------------------------------------------------------------------------------------
    def feed(self) -> None:
        pool = photo_pool()
        branches = list(
            OrgUnit.objects.filter(
                path__startswith=self.school.path,
                kind__in=(*BRANCH_KINDS, UnitKind.GENERAL_BRANCH),
                status=UnitStatus.ACTIVE,
            )
            .order_by("id")
            .values_list("id", "path")
        )
        college_path = self.college.path if self.college else None
        mine = [b for b in branches if college_path and b[1].startswith(college_path)]
        rest = [b for b in branches if not (college_path and b[1].startswith(college_path))]
        chosen = self.rng.sample(rest, min(OTHER_POSTS_MAX, round(len(rest) * OTHER_BRANCH_SHARE)))
        plan: dict[int, int] = {b: POSTS_PER_DEMO_BRANCH for b, _ in mine}
        if self.branch1 is not None and self.branch1.pk in plan:
            plan[self.branch1.pk] = 4  # the showcase branch has the liveliest feed
        for b, _ in sorted(chosen):
            plan[b] = 1
        unit_ids = sorted(plan)
        people: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for pid, unit_id, status in (
            Person.objects.filter(unit_id__in=unit_ids, roster_status=RosterStatus.ACTIVE)
            .order_by("id")
            .values_list("id", "unit_id", "political_status")
        ):
            people[unit_id].append((pid, status))
        since = self.now - datetime.timedelta(days=WINDOW_DAYS)
        meetings: dict[int, list[tuple[int, str, datetime.datetime]]] = defaultdict(list)
        for mid, unit_id, kind, ends_at in (
            Meeting.objects.filter(
                unit_id__in=unit_ids, status__in=COUNTED_STATUSES, ends_at__gte=since, ends_at__lte=self.now
            )
            .order_by("id")
            .values_list("id", "unit_id", "kind", "ends_at")
        ):
            meetings[unit_id].append((mid, kind, ends_at))
        user_person = {self.person_of_user.get(self.users[n].pk) for n in ("secretary1", "member1") if n in self.users}

        posts: list[Post] = []
        used_text: Counter = Counter()
        for unit_id in unit_ids:
            members = people.get(unit_id) or []
            if not members:
                continue
            party = [p for p, s in members if s in PARTY_MEMBER_STATUSES] or [p for p, _ in members]
            free_meetings = list(meetings.get(unit_id, []))
            self.rng.shuffle(free_meetings)
            for n in range(plan[unit_id]):
                meeting = None
                if free_meetings and self.rng.random() < MEETING_SHARE:
                    meeting = free_meetings.pop()
                kind = meeting[1] if meeting else "free"
                texts = content.POSTS.get(kind) or content.POSTS["free"]
                text = min(texts, key=lambda t: (used_text[t], self.rng.random()))
                used_text[text] += 1
                if meeting:
                    created = self.clamp(meeting[2] + datetime.timedelta(minutes=self.rng.randint(20, 300)))
                else:
                    created = self.at(self.rng.randint(0, WINDOW_DAYS - 1))
                author = party[self.rng.randrange(len(party))]
                if unit_id == getattr(self.branch1, "pk", None) and n < 2:
                    # secretary1 and member1 posted in their branch (the logins show their own posts).
                    login_people = sorted(p for p in user_person if p in {m for m, _ in members})
                    if n < len(login_people):
                        author = login_people[n]
                post = Post(unit_id=unit_id, author_id=author, body=text, meeting_id=meeting[0] if meeting else None)
                post.created_at = created
                post._members = [p for p, _ in members]
                posts.append(post)
        posts.sort(key=lambda p: (p.created_at, p.unit_id))
        created_posts = Post.objects.bulk_create(posts, batch_size=BATCH)
        photos, likes = [], []
        for post, planned in zip(created_posts, posts, strict=True):
            n_photos = self.rng.choice(PHOTO_COUNTS)
            start = self.rng.randrange(len(pool))
            for position in range(n_photos):
                name, width, height = pool[(start + position) % len(pool)]
                photos.append(PostPhoto(post=post, image=name, width=width, height=height, position=position))
            audience = planned._members
            k = min(len(audience), self.rng.randint(0, 14))
            for person in sorted(self.rng.sample(audience, k)):
                at = self.clamp(post.created_at + datetime.timedelta(minutes=self.rng.randint(3, 3 * 24 * 60)))
                likes.append(PostLike(post=post, person_id=person, created_at=at))
            post.like_count = k
            post.search_text = news_search.post_search_text(post)
        PostPhoto.objects.bulk_create(photos, batch_size=BATCH)
        PostLike.objects.bulk_create(likes, batch_size=BATCH)
        self.posts = created_posts
        self.counts["posts"] = len(created_posts)
        self.counts["posts_with_meeting"] = sum(1 for p in created_posts if p.meeting_id)
        self.counts["photos"] = len(photos)
        self.counts["photo_files"] = len(pool)
        self.counts["likes"] = len(likes)
        self.comments()
        Post.objects.bulk_update(created_posts, ["like_count", "comment_count", "search_text"], batch_size=BATCH)
        core_search.fts_write(news_search.POST_FTS, [(p.pk, p.search_text) for p in created_posts])

    # comments ------------------------------------------------------------------------------------
    def comments(self) -> None:
        held_body, held_word = content.HELD_COMMENT
        if not SensitiveWord.objects.filter(word=held_word).exists():
            SensitiveWord.objects.create(word=held_word, action=WordAction.HOLD, created_by=self.user("admin"))
            self.counts["sensitive_words"] = 1
        wordfilter.forget()
        rows: list[Comment] = []
        by_unit = defaultdict(list)
        for post in self.posts:
            by_unit[post.unit_id].append(post)
        commenters = {
            getattr(self.branch1, "pk", None): ["member1", "collector1", "secretary1", "activist1"],
            getattr(self.branch2, "pk", None): ["secretary2", "college1"],
        }
        texts = iter(self.rng.sample(content.POST_COMMENTS, len(content.POST_COMMENTS)) * 4)
        for unit_id, names in commenters.items():
            names = [n for n in names if n in self.users]
            for post in by_unit.get(unit_id, [])[-3:]:
                for name in self.rng.sample(names, min(len(names), self.rng.randint(1, 2))):
                    rows.append(self._comment(post=post, author=self.users[name], body=next(texts)))
        # One comment held by the word filter, waiting for the branch's moderators.
        branch1_posts = by_unit.get(getattr(self.branch1, "pk", None), [])
        if branch1_posts and "activist1" in self.users:
            rows.append(self._comment(post=branch1_posts[-1], author=self.users["activist1"], body=held_body))
        # A few comments under the university's articles.
        readers = [n for n in ("member1", "secretary1", "secretary2") if n in self.users]
        targets = [a for k, a in self.articles_by_key.items() if k.startswith("school-") and a.published_at]
        for text, name, article in zip(content.ARTICLE_COMMENTS, readers, targets[:3], strict=False):
            rows.append(self._comment(article=article, author=self.users[name], body=text))
        rows = [c for c in rows if c is not None]
        Comment.objects.bulk_create(rows, batch_size=BATCH)
        visible = Counter(c.post_id for c in rows if c.post_id and c.status == CommentStatus.VISIBLE)
        for post in self.posts:
            post.comment_count = visible[post.pk]
        self.counts["comments"] = len(rows)
        self.counts["comments_held"] = sum(1 for c in rows if c.status == CommentStatus.HELD)

    def _comment(self, *, author, body: str, post=None, article=None) -> Comment | None:
        result = wordfilter.check(body)
        if result.action == WordAction.REJECT:
            return None
        after = (post or article).created_at if post else article.published_at
        at = self.clamp(after + datetime.timedelta(minutes=self.rng.randint(10, 2 * 24 * 60)))
        return Comment(
            post=post,
            article=article,
            author=author,
            body=body,
            status=CommentStatus.HELD if result.action == WordAction.HOLD else CommentStatus.VISIBLE,
            matched_words=list(result.words),
            created_at=at,
        )

    # points --------------------------------------------------------------------------------------
    def points(self) -> None:
        """One "post" event per post, paid as ``point_award`` would (rule points, daily and
        yearly caps over the events already stored), and the tallies kept equal to the sums."""
        rule = PointRule.objects.filter(action="post", active=True, points__gt=0).first()
        if rule is None or not self.posts:
            self.counts["point_events"] = 0
            return
        authors = {p.author_id for p in self.posts}
        used_day: Counter = Counter()
        used_year: Counter = Counter()
        paid = set()
        for pid, stype, sid, points, day in PointEvent.objects.filter(person_id__in=authors, action="post").values_list(
            "person_id", "source_type", "source_id", "points", "day"
        ):
            paid.add((pid, stype, sid))
            used_day[(pid, day)] += points
            used_year[(pid, day.year)] += points
        events, tallies = [], Counter()
        for post in sorted(self.posts, key=lambda p: (p.created_at, p.pk)):
            key = (post.author_id, "news.post", str(post.pk))
            if key in paid:
                continue
            day = timezone.localdate(post.created_at)
            points = rule.points
            if rule.daily_cap:
                points = min(points, rule.daily_cap - used_day[(post.author_id, day)])
            if rule.yearly_cap:
                points = min(points, rule.yearly_cap - used_year[(post.author_id, day.year)])
            if points <= 0:
                continue
            paid.add(key)
            used_day[(post.author_id, day)] += points
            used_year[(post.author_id, day.year)] += points
            events.append(
                PointEvent(
                    person_id=post.author_id,
                    action="post",
                    points=points,
                    source_type="news.post",
                    source_id=str(post.pk),
                    occurred_at=post.created_at,
                    day=day,
                )
            )
            for period, start in (
                ("week", day - datetime.timedelta(days=day.weekday())),
                ("month", day.replace(day=1)),
                ("year", day.replace(month=1, day=1)),
            ):
                tallies[(post.author_id, period, start)] += points
        PointEvent.objects.bulk_create(events, batch_size=BATCH)
        existing = set(PointTally.objects.filter(person_id__in=authors).values_list("person_id", "period", "start"))
        new = []
        for (person, period, start), points in sorted(tallies.items()):
            if (person, period, start) in existing:
                PointTally.objects.filter(person_id=person, period=period, start=start).update(
                    points=F("points") + points
                )
            else:
                new.append(PointTally(person_id=person, period=period, start=start, points=points))
        PointTally.objects.bulk_create(new, batch_size=BATCH)
        self.counts["point_events"] = len(events)
        self.counts["points"] = sum(e.points for e in events)

    # message board -------------------------------------------------------------------------------
    def board(self) -> None:
        targets = {"school": (self.school, "admin"), "college": (self.college, "college1")}
        plans = []
        for i, spec in enumerate(content.MESSAGES):
            unit, officer = targets[spec["level"]]
            if unit is not None:
                plans.append((spec, unit, officer, i))
        if self.college is not None:
            others = OrgUnit.objects.filter(parent=self.school, status=UnitStatus.ACTIVE).exclude(pk=self.college.pk)
            authors = ("member1", "collector1", "activist1")
            for i, college in enumerate(others.order_by("sort_order", "id")[:OTHER_COLLEGE_MESSAGES_MAX]):
                tpl = content.OTHER_COLLEGE_MESSAGES[i % len(content.OTHER_COLLEGE_MESSAGES)]
                spec = {k: v.format(college=college.name) if isinstance(v, str) else v for k, v in tpl.items()}
                spec["author"] = authors[i % len(authors)]
                plans.append((spec, college, "admin", 100 + i))
        messages, replies = [], []
        for spec, unit, officer, i in plans:
            created = self.at(spec["days"], hour_lo=7, hour_hi=23)
            visitor = spec["author"] == "visitor"
            message = Message(
                unit=unit,
                author=None if visitor else self.user(spec["author"]),
                visitor_name=spec.get("visitor_name", "") if visitor else "",
                anonymous=bool(spec.get("anonymous")),
                category=spec["category"],
                title=spec["title"],
                body=spec["body"],
                status=MessageStatus.OPEN,
                public=spec.get("public", True),
                pinned=bool(spec.get("pinned")),
                ip_hash=hashlib.sha256(f"demo-visitor-{i}".encode()).hexdigest() if visitor else "",
                created_at=created,
            )
            reply = None
            if spec["status"] != MessageStatus.OPEN and spec.get("reply"):
                hours = spec.get("reply_hours", 24) * self.rng.uniform(0.8, 1.2)
                answered = self.clamp(created + datetime.timedelta(hours=hours))
                message.status, message.answered_at = MessageStatus.ANSWERED, answered
                reply = MessageReply(
                    author=self.user(officer),
                    body=spec["reply"],
                    public=spec.get("reply_public", True),
                    created_at=answered,
                )
                if spec["status"] == MessageStatus.CLOSED:
                    message.status = MessageStatus.CLOSED
                    message.closed_at = self.clamp(answered + datetime.timedelta(hours=self.rng.randint(24, 72)))
            messages.append((message, reply))
        created_messages = Message.objects.bulk_create([m for m, _ in messages], batch_size=BATCH)
        for message, (_m, reply) in zip(created_messages, messages, strict=True):
            if reply is not None:
                reply.message = message
                replies.append(reply)
        MessageReply.objects.bulk_create(replies, batch_size=BATCH)
        self.counts["messages"] = len(created_messages)
        self.counts["message_replies"] = len(replies)
        status_counts = Counter(m.status for m in created_messages)
        for status in MessageStatus.values:
            self.counts[f"messages_{status}"] = status_counts[status]
        self.counts["messages_anonymous"] = sum(1 for m in created_messages if m.anonymous)
        self.counts["messages_private"] = sum(1 for m in created_messages if not m.public)
        self.counts["messages_visitors"] = sum(1 for m in created_messages if m.author_id is None)


def seed_news(
    root: OrgUnit,
    *,
    seed: int,
    today: datetime.date,
    now: datetime.datetime,
    creator: int,
    demo: dict[str, OrgUnit],
) -> dict:
    """Write the communication demo under ``root``; call inside a transaction. Returns counts."""
    started = time.monotonic()
    seeder = Seeder(root, seed=seed, today=today, now=now, creator=creator, demo=demo)
    seeder.policies()
    seeder.articles()
    seeder.receipts()
    seeder.feed()
    seeder.points()
    seeder.board()
    counts = dict(sorted(seeder.counts.items()))
    counts["search_indexed"] = bool(counts.get("search_indexed"))
    counts["seconds"] = round(time.monotonic() - started, 1)
    audit_record(actor=None, action=NEWS_ACTION, target=root, changes={"seed": seed, **counts})
    return counts
