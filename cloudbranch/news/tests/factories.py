"""Factories of the news app's tests (each area appends its own helpers below)."""

from django.utils import timezone

from cloudbranch.news.choices import ArticleStatus, Category, Visibility
from cloudbranch.news.models import Article, Post

# --- comments area ---------------------------------------------------------------------------


def make_published_article(unit, author, *, visibility=Visibility.SUBTREE, title="支部动态", **fields):
    """A published article (bypasses the workflow; tests only)."""
    return Article.objects.create(
        unit=unit,
        author=author,
        category=fields.pop("category", Category.NEWS),
        title=title,
        body="<p>正文</p>",
        visibility=visibility,
        status=fields.pop("status", ArticleStatus.PUBLISHED),
        published_at=timezone.now(),
        **fields,
    )


def make_post(unit, author_person, *, body="今天开展了主题党日活动", **fields):
    """A feed post (bypasses the service; tests only)."""
    return Post.objects.create(unit=unit, author=author_person, body=body, **fields)


# --- board area ------------------------------------------------------------------------------


def open_public_board(unit, by, *, on=True):
    """Let visitors without login write to ``unit``'s board (tests only: no service)."""
    from cloudbranch.news.models import NewsPolicy

    policy, _ = NewsPolicy.objects.update_or_create(unit=unit, defaults={"public_board": on, "updated_by": by})
    return policy


def make_message(unit, author=None, *, title="食堂饭菜价格", body="希望食堂价格更透明。", **fields):
    """A message (bypasses the service; tests only)."""
    from cloudbranch.news.models import Message

    fields.setdefault("category", "suggestion")
    return Message.objects.create(unit=unit, author=author, title=title, body=body, **fields)


def make_reader(unit, **person_fields):
    """A logged-in user with a person record in ``unit`` (a member by default)."""
    from cloudbranch.testing.factories import PersonFactory, UserFactory

    user = UserFactory()
    PersonFactory(unit=unit, user=user, **person_fields)
    return user


# --- feed area -------------------------------------------------------------------------------


def photo_bytes(width=2400, height=1200, *, fmt="JPEG", orientation=None, gps=True) -> bytes:
    """A photo as a phone would send it: EXIF with a maker, an orientation and a GPS position."""
    import io

    from PIL import Image

    image = Image.new("RGB", (width, height), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 30.0)}
    out = io.BytesIO()
    image.save(out, format=fmt, exif=exif)
    return out.getvalue()


def mp4_bytes(size=4096, brand=b"isom") -> bytes:
    """The start of an MP4 file (an ``ftyp`` box) padded to ``size`` bytes."""
    head = (24).to_bytes(4, "big") + b"ftyp" + brand + b"\x00\x00\x02\x00" + b"isomiso2"
    return head + b"\x00" * max(0, size - len(head))


def webm_bytes(size=4096) -> bytes:
    head = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
    return head + b"\x00" * max(0, size - len(head))


def upload(name, data, content_type="application/octet-stream"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


# --- articles area ---------------------------------------------------------------------------

NOTICE_DATA = {
    "category": "notice",
    "title": "关于开展主题党日活动的通知",
    "body": "<p>请各位党员准时参加主题党日活动。</p>",
    "visibility": "subtree",
}


def publicity_officer(unit, **fields):
    """A user holding the publicity officer role at ``unit``."""
    from cloudbranch.orgs.roles import Role
    from cloudbranch.testing.factories import UserFactory, grant

    user = UserFactory(**fields)
    grant(user, unit, Role.PUBLICITY_OFFICER)
    return user


def article_draft(unit, author, **data):
    """A draft through the service (sanitized, indexed, audited)."""
    from cloudbranch.news import articles

    return articles.article_create(actor=author, unit_id=unit.pk, data={**NOTICE_DATA, **data})


def article_published(unit, author, approver, **data):
    """Draft → submitted → approved through the services (published unless publish_at is in the future)."""
    from cloudbranch.news import articles

    article = article_draft(unit, author, **data)
    articles.article_submit(actor=author, article_id=article.pk)
    return articles.article_approve(actor=approver, article_id=article.pk)
