"""Schemas every API router shares."""

from typing import Annotated, Any

from ninja import Field, Schema

#: A primary key in a query parameter: out-of-range numbers are a 422, not a database overflow.
ObjectId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ErrorOut(Schema):
    """The one error shape of the whole API: a sentence for people, details for programs."""

    detail: str
    errors: list[dict[str, Any]] = []


READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
