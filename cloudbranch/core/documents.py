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


#: The largest spreadsheet any import accepts (payroll, class lists, question banks, transfer
#: batches); the row limits of each import are far below what fits in it.
SPREADSHEET_MAX_BYTES = 20 * 1024 * 1024


def spreadsheet_problem(data: bytes, *, max_bytes: int = SPREADSHEET_MAX_BYTES) -> str | None:
    """Why ``data`` is not an acceptable uploaded .xlsx (too large, or not an Excel package by its
    content), in Chinese; None when it is. Each import raises its own error type with the text."""
    if len(data) > max_bytes:
        return f"文件超过 {max_bytes // (1024 * 1024)} MB，请拆分后分别上传。"
    if not matches_extension(".xlsx", data):
        return "文件不是 Excel .xlsx 格式，请下载模板，填写后保存为 .xlsx 再上传。"
    return None
