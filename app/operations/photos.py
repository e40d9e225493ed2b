"""Photos sent with a report: checked to be images by their content, re-encoded without
metadata (EXIF GPS would publish where the resident stood), stored under a random name in
PostgreSQL."""

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.db import DbSession
from app.exceptions import BadRequest, PayloadTooLarge
from app.models import Photo
from app.security import new_secret

# Decoded format -> (format written, file extension). GIF and BMP become PNG: lossless, and
# one animation frame is enough for a report.
OUTPUT_FORMATS = {
    "JPEG": ("JPEG", "jpg"),
    "MPO": ("JPEG", "jpg"),
    "PNG": ("PNG", "png"),
    "WEBP": ("WEBP", "webp"),
    "GIF": ("PNG", "png"),
    "BMP": ("PNG", "png"),
}
# A phone photo is at most ~50 megapixels; more is a decompression bomb, not a photo.
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 88


@dataclass(frozen=True)
class CleanPhoto:
    """An image re-encoded without metadata, ready to store."""

    data: bytes
    extension: str


def read_bounded(stream: IO[bytes], max_bytes: int) -> bytes:
    """The upload's bytes; PayloadTooLarge past max_bytes (read no further than that)."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"a photo may be at most {max_bytes // 1024} KiB")
    return data


def clean_photo(data: bytes, filename: str = "media") -> CleanPhoto:
    """Decode the upload as an image (whatever its name says) and re-encode its pixels only:
    no EXIF, GPS, XMP or comments survive. BadRequest when it is not a supported image."""
    not_an_image = BadRequest(f"{filename[:80]} is not a JPEG, PNG, WebP, GIF or BMP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in OUTPUT_FORMATS:
                raise not_an_image
            if image.width * image.height > MAX_PIXELS:
                raise BadRequest(f"{filename[:80]} has more than {MAX_PIXELS} pixels")
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise not_an_image from None
    output_format, extension = OUTPUT_FORMATS[image.format]
    # Apply the EXIF orientation to the pixels before the EXIF goes, so the photo stays upright.
    upright = ImageOps.exif_transpose(image)
    if output_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")
    # A new image from the pixels alone carries no `info` (EXIF, ICC, XMP, comments).
    pixels = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    buffer = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if output_format == "JPEG" else {}
    pixels.save(buffer, output_format, **options)
    return CleanPhoto(buffer.getvalue(), extension)


def photo_name(photo: CleanPhoto) -> str:
    """A random file name: nothing of the resident's file name is kept or guessable."""
    return f"{new_secret(18)}.{photo.extension}"


CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def store_photo(session: DbSession, photo: CleanPhoto, name: str,
                service_request_id: int | None) -> None:
    """Add the photo to the session: it is written in the report's own transaction, so a
    refused or rolled-back report leaves no photo, and every host serves it from PostgreSQL."""
    session.add(Photo(name=name, service_request_id=service_request_id,
                      content_type=CONTENT_TYPES[photo.extension],
                      sha256=hashlib.sha256(photo.data).hexdigest(), data=photo.data))


def import_media_dir(session: DbSession, media_dir: str | Path) -> tuple[int, int]:
    """Load the photo files an earlier version wrote under media_dir into the photos table
    (their names are their public URLs, kept as they are). Returns (imported, skipped): a name
    already in the table or an extension that was never written is skipped."""
    imported = skipped = 0
    for path in sorted(Path(media_dir).glob("*")):
        extension = path.suffix.lstrip(".").lower()
        if not path.is_file() or extension not in CONTENT_TYPES:
            skipped += 1
            continue
        data = path.read_bytes()
        inserted = session.scalar(
            pg_insert(Photo).values(
                name=path.name, service_request_id=None,
                content_type=CONTENT_TYPES[extension],
                sha256=hashlib.sha256(data).hexdigest(), data=data,
            ).on_conflict_do_nothing(index_elements=["name"]).returning(Photo.name)
        ) is not None
        imported += inserted
        skipped += not inserted
        session.commit()  # one file at a time: an interrupted import keeps what it loaded
    return imported, skipped
