"""Checking that an uploaded document is what its extension says (PDF and Office Open XML),
shared by meeting attachments, development documents and news attachments."""

from __future__ import annotations

import io
import zipfile

#: The folder every Office Open XML package of that kind carries.
OFFICE_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}


def matches_extension(ext: str, data: bytes) -> bool:
    """Whether ``data`` is a PDF (``.pdf``) or an Office package of the kind ``ext`` names
    (a zip with ``[Content_Types].xml`` and the kind's folder). Other extensions: False."""
    if ext == ".pdf":
        return data.startswith(b"%PDF-")
    part = OFFICE_PARTS.get(ext)
    if part is None or not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = package.namelist()
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith(part) for n in names)
