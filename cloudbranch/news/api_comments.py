"""/api/news: comments (list, add, delete, report), the moderation queue, the sensitive words.
The same services as the pages (comments.py)."""

import datetime

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from cloudbranch.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, ObjectId

from . import comments

router = Router(tags=["宣传"])


class CommentOut(Schema):
    id: int
    article_id: int | None
    post_id: int | None
    author_id: int
    author_name: str
    body: str
    status: str
    status_label: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_author_name(obj) -> str:
        return obj.author.display_name or obj.author.username

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())


class ReportOut(Schema):
    reporter_name: str
    reason: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_reporter_name(obj) -> str:
        return obj.reporter.display_name or obj.reporter.username


class QueueItemOut(CommentOut):
    target_title: str
    unit_id: int
    unit_name: str
    matched_words: list[str]
    report_count: int
    reports: list[ReportOut]
    moderation_note: str

    @staticmethod
    def resolve_target_title(obj) -> str:
        return obj.article.title if obj.article_id else obj.post.body[:60]

    @staticmethod
    def resolve_unit_id(obj) -> int:
        return (obj.article or obj.post).unit_id

    @staticmethod
    def resolve_unit_name(obj) -> str:
        return (obj.article or obj.post).unit.name

    @staticmethod
    def resolve_reports(obj):
        return list(obj.reports.all())


class CommentIn(Schema):
    article_id: ObjectId | None = None
    post_id: ObjectId | None = None
    body: str = Field(max_length=comments.BODY_MAX * 2)


class ReasonIn(Schema):
    reason: str = ""


class ModerateIn(Schema):
    decision: str = Field(description="approve 通过 / reject 不通过 / delete 删除（需填写 note）")
    note: str = ""


class WordOut(Schema):
    id: int
    word: str
    action: str
    action_label: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_action_label(obj) -> str:
        return str(obj.get_action_display())


class WordIn(Schema):
    word: str = Field(max_length=200)
    action: str = "hold"


class WordActionIn(Schema):
    action: str


class WordImportIn(Schema):
    lines: list[str] = Field(max_length=10000)


class WordImportOut(Schema):
    created: int
    updated: int
    unchanged: int


@router.get(
    "/comments",
    response={200: list[CommentOut], **READ_ERRORS},
    summary="一篇文章（?article=）或一条动态（?post=）的评论：已显示的和本人待审核的，新的在前",
)
@paginate
def comment_list(request, article: ObjectId | None = None, post: ObjectId | None = None):
    target = comments.access_target(request.auth, article_id=article, post_id=post)
    return comments.comment_list(request.auth, target)


@router.post(
    "/comments",
    response={201: CommentOut, 429: ErrorOut, **WRITE_ERRORS},
    summary="发表评论（含拒绝类敏感词 422，含审核类敏感词或组织设置先审后发时为待审核；每分钟最多 10 条）",
)
def comment_add(request, payload: CommentIn):
    comment = comments.comment_add(
        actor=request.auth, body=payload.body, article_id=payload.article_id, post_id=payload.post_id
    )
    return 201, comment


@router.get(
    "/comments/moderation",
    response={200: list[QueueItemOut], **READ_ERRORS},
    summary="评论审核队列：待审核和被举报的评论（?status=held|reported）",
)
@paginate
def moderation_queue(request, status: str = ""):
    return comments.moderation_queue(request.auth, status=status if status in comments.QUEUE_FILTERS else "")


@router.post(
    "/comments/{int:comment_id}/moderate",
    response={200: CommentOut, **WRITE_ERRORS},
    summary="审核评论：通过、不通过或删除（删除须填写理由）",
)
def comment_moderate(request, comment_id: int, payload: ModerateIn):
    return comments.comment_moderate(
        actor=request.auth, comment_id=comment_id, decision=payload.decision, note=payload.note
    )


@router.post(
    "/comments/{int:comment_id}/delete",
    response={200: CommentOut, **WRITE_ERRORS},
    summary="删除评论：作者删除自己的评论；审核人删除须填写理由（记录保留，状态为已删除）",
)
def comment_delete(request, comment_id: int, payload: ReasonIn):
    return comments.comment_delete(actor=request.auth, comment_id=comment_id, reason=payload.reason)


@router.post(
    "/comments/{int:comment_id}/report",
    response={204: None, **WRITE_ERRORS},
    summary="举报评论（每人每条一次；累计 3 次自动转人工审核）",
)
def comment_report(request, comment_id: int, payload: ReasonIn):
    comments.comment_report(actor=request.auth, comment_id=comment_id, reason=payload.reason)
    return 204, None


@router.get("/words", response={200: list[WordOut], **READ_ERRORS}, summary="评论敏感词列表（?q= 查找）")
@paginate
def word_list(request, q: str = ""):
    return comments.word_list(request.auth, q=q[:50])


@router.post(
    "/words", response={201: WordOut, **WRITE_ERRORS}, summary="添加敏感词（hold 转人工审核 / reject 直接拒绝）"
)
def word_add(request, payload: WordIn):
    return 201, comments.word_add(actor=request.auth, word=payload.word, action=payload.action)


@router.post(
    "/words/import", response={200: WordImportOut, **WRITE_ERRORS}, summary="批量导入敏感词（每行一个，可加 |reject）"
)
def words_import(request, payload: WordImportIn):
    return comments.words_import(actor=request.auth, lines=payload.lines)


@router.patch("/words/{int:word_id}", response={200: WordOut, **WRITE_ERRORS}, summary="修改敏感词的处理方式")
def word_update(request, word_id: int, payload: WordActionIn):
    return comments.word_update(actor=request.auth, word_id=word_id, action=payload.action)


@router.delete("/words/{int:word_id}", response={204: None, **WRITE_ERRORS}, summary="删除敏感词")
def word_remove(request, word_id: int):
    comments.word_remove(actor=request.auth, word_id=word_id)
    return 204, None
