"""Serving a stored file with HTTP Range requests, so that media players can seek.

Moved here from ``cloudbranch.learning.views_resources`` (learning resources' media and PDFs) so
the news feed's videos use the same code.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def ranged_file_response(request, fieldfile, *, content_type: str, filename: str, attachment: bool = False):
    """Serve a stored file with HTTP Range support (RFC 9110 §14): one range → 206 with
    Content-Range; an unsatisfiable range → 416; no or several ranges → 200 with the whole file.
    Media players need this to seek; Django's FileResponse always sends the whole file."""
    size = fieldfile.size
    disposition = "attachment" if attachment else "inline"
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }
    header = request.headers.get("Range", "").strip()
    match = _RANGE.match(header) if header else None
    if header and match:
        first, last = match.groups()
        if first == "" and last == "":
            match = None
        elif first == "":
            length = int(last)
            start, end = max(0, size - length), size - 1
            if length == 0:
                start = size
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if match is not None:
            if start >= size or start > end:
                response = HttpResponse(status=416)
                response["Content-Range"] = f"bytes */{size}"
                response["Accept-Ranges"] = "bytes"
                return response
            handle = fieldfile.open("rb")
            handle.seek(start)
            response = StreamingHttpResponse(_read_span(handle, end - start + 1), status=206, content_type=content_type)
            response["Content-Length"] = str(end - start + 1)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
            for k, v in headers.items():
                response[k] = v
            return response
    response = FileResponse(fieldfile.open("rb"), content_type=content_type)
    response["Content-Length"] = str(size)
    for k, v in headers.items():
        response[k] = v
    return response


def _read_span(handle, remaining: int):
    try:
        while remaining > 0:
            data = handle.read(min(CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()
