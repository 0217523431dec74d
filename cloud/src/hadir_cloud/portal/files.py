"""Uploaded files in and out of the portal's pages: read a form's file fields as plain
`Upload`s, and serve a kept file as a download that is never cached."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request

from ..attachments import Upload


def upload(field: str) -> Upload | None:
    """The file sent in `field`, or None when none was chosen."""
    f = request.files.get(field)
    if f is None or not f.filename:
        return None
    return Upload(f.filename, f.read())


def download(filename: str, content_type: str, data: bytes) -> Response:
    """The file as an attachment: `no-store` (evidence is personal data), no type sniffing."""
    resp = Response(data, mimetype=content_type)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp
