"""Serving a deal's uploaded file: one answer for the deal page and the API, so both send the
same protective headers."""

import os

from django.http import FileResponse, Http404

from .models import DealAttachment


def attachment_file_response(attachment: DealAttachment) -> FileResponse:
    """The stored file, always as a download: a file that a browser rendered inline could run
    script in the app's origin. The caller has checked that the reader may see the deal and
    that the attachment is a file."""
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=os.path.basename(attachment.file.name or "file"),
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
