"""API pagination: page numbers with a bounded page, so a huge ``page`` is a 422, not a 500."""

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination

MAX_PAGE = 1_000_000


class BoundedPageNumberPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="页码，从 1 开始")
        page_size: int | None = Field(None, ge=1, le=100, description="每页条数，最多 100")
