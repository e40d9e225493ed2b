"""Stored photos, served back at /media/<name> (their public media_url)."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import NotFound

from app.exceptions import BadRequest
from app.extensions import db
from app.models import Photo
from app.operations.photos import CleanPhoto, clean_photo, read_bounded
from app.web_addresses import public_base_url

blp = Blueprint("media", __name__, url_prefix="/media")

# More photos than this in one report is not a resident's report.
MAX_PHOTOS = 5
MAX_URL_LENGTH = 2000


# A photo's name is random and its bytes never change once written: caches may keep it for a
# year without asking again.
MEDIA_MAX_AGE = 365 * 86400


@blp.get("/<name>")
def media_file(name: str):
    """A stored photo, from the photos table (a replica may serve it: every host has it)."""
    photo = db.session.execute(
        sa.select(Photo.content_type, Photo.sha256, Photo.data).where(Photo.name == name)
    ).one_or_none()
    if photo is None:
        raise NotFound()
    response = Response(photo.data, mimetype=photo.content_type)
    response.set_etag(photo.sha256)
    response.cache_control.public = True
    response.cache_control.max_age = MEDIA_MAX_AGE
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


def uploaded_photos(files: MultiDict[str, FileStorage]) -> list[CleanPhoto]:
    """The photos of a multipart POST: `media` first, then any other file field (as older
    clients name them), empty parts skipped; each checked, bounded and cleaned."""
    max_bytes = current_app.config["MEDIA_MAX_BYTES"]
    ordered = files.getlist("media") + [
        upload for key, upload in files.items(multi=True) if key != "media"
    ]
    if len(ordered) > MAX_PHOTOS:
        raise BadRequest(f"a report takes at most {MAX_PHOTOS} photos")
    photos: list[CleanPhoto] = []
    for upload in ordered:
        data = read_bounded(upload.stream, max_bytes)
        if data:
            photos.append(clean_photo(data, upload.filename or upload.name or "media"))
    return photos


def media_url(name: str) -> str:
    """The public URL of a stored photo."""
    base = public_base_url()
    return f"{base}/media/{name}"


def checked_media_urls(urls: list[str], uploads: int = 0) -> list[str]:
    """The media_url values of a report, each an http(s) URL on a host of MEDIA_URL_HOSTS
    (by default only this server's own /media/), at most MAX_PHOTOS with the uploads; 400
    otherwise. A URL anywhere else would be published as the report's photo: a tracking pixel,
    or an address inside the city's network (http://169.254.169.254/)."""
    if len(urls) + uploads > MAX_PHOTOS:
        raise BadRequest(f"a report takes at most {MAX_PHOTOS} photos")
    if not urls:
        return urls  # most reports: no need to work out this server's own address
    configured = [h.strip().lower() for h in current_app.config["MEDIA_URL_HOSTS"].split(",")
                  if h.strip()]
    own_media = f"{public_base_url()}/media/"
    for url in urls:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            parts, host = None, ""
        if configured:
            allowed = (parts is not None and parts.scheme in ("http", "https")
                       and host in configured)
            where = ", ".join(configured)
        else:
            allowed = url.startswith(own_media)
            where = own_media
        if not allowed or len(url) > MAX_URL_LENGTH or any(c.isspace() for c in url):
            raise BadRequest(f"media_url must be an http(s) URL on {where} of at most "
                             f"{MAX_URL_LENGTH} characters")
    return urls
