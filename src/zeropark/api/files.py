"""File downloads: write a report to a temporary file and stream it back."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

#: Media types of the downloadable formats.
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "xml": "application/xml",
    "json": "application/json",
}


def download(write: Callable[[Path], Any], filename: str, fmt: str) -> FileResponse:
    """Call ``write(path)`` on a temporary file and stream it as an attachment.

    The temporary folder is removed after the response is sent (or at once if
    `write` fails).
    """
    folder = Path(tempfile.mkdtemp(prefix="zeropark-dl-"))
    try:
        path = folder / filename
        write(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=MEDIA_TYPES[fmt], filename=filename,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


def file_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entry of a 200 answer in `formats` (binary strings)."""
    content = {MEDIA_TYPES[f].split(";")[0]: ({"schema": {"type": "object"}} if f == "json"
                                              else {"schema": {"type": "string",
                                                               "format": "binary"}})
               for f in formats}
    return {200: {"description": "The document.", "content": content}}
