"""Stored photos, served back at /media/<name> (their public media_url)."""

from flask import Blueprint, current_app, send_from_directory
from werkzeug.datastructures import FileStorage, MultiDict

from app.operations.photos import CleanPhoto, clean_photo, read_bounded
from app.web_addresses import public_base_url

blp = Blueprint("media", __name__, url_prefix="/media")

# More photos than this in one report is not a resident's report.
MAX_PHOTOS = 5


@blp.get("/<name>")
def media_file(name: str):
    """A stored photo. send_from_directory refuses paths outside MEDIA_DIR."""
    response = send_from_directory(current_app.config["MEDIA_DIR"], name, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def uploaded_photos(files: MultiDict[str, FileStorage]) -> list[CleanPhoto]:
    """The photos of a multipart POST: `media` first, then any other file field (as older
    clients name them), empty parts skipped; each checked, bounded and cleaned."""
    max_bytes = current_app.config["MEDIA_MAX_BYTES"]
    ordered = files.getlist("media") + [
        upload for key, upload in files.items(multi=True) if key != "media"
    ]
    photos: list[CleanPhoto] = []
    for upload in ordered:
        if len(photos) == MAX_PHOTOS:
            break
        data = read_bounded(upload.stream, max_bytes)
        if data:
            photos.append(clean_photo(data, upload.filename or upload.name or "media"))
    return photos


def media_url(name: str) -> str:
    """The public URL of a stored photo."""
    base = public_base_url()
    return f"{base}/media/{name}"
