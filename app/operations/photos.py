"""Photos sent with a report: checked to be images by their content, re-encoded without
metadata (EXIF GPS would publish where the resident stood), stored under a random name."""

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from app.exceptions import BadRequest, PayloadTooLarge
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


def store_photo(photo: CleanPhoto, media_dir: str | Path, name: str) -> Path:
    """Write the photo under media_dir; never overwrites."""
    directory = Path(media_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    with path.open("xb") as file:
        file.write(photo.data)
    return path
