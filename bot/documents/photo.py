"""The photo as it prints: cropped centred to the proportions of the form's photo box.

The stored upload is never changed; every crop is made from it when a document (or the applicant's
preview) needs one, and kept per photo content and box, so a document rendered again reuses it. A crop
keeps at most PRINT_DPI over the box (a 35×49 mm 二寸 box: 413×579 pixels) and never enlarges a small
photo; transparency is flattened onto white (paper)."""

from __future__ import annotations

import hashlib
import io
import math
import threading
import warnings
from collections import OrderedDict

from PIL import Image, ImageOps

from bot.documents.images import open_for_decoding

PRINT_DPI = 300
PREVIEW_WIDTH_PX = 180  # the applicant's preview in a chat: small, but the face is recognisable
KEPT = 64
MM_PER_INCH = 25.4

_kept: OrderedDict[tuple[bytes, float, float, int], bytes] = OrderedDict()
_lock = threading.Lock()


def crop_box(size: tuple[int, int], width_mm: float, height_mm: float) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest centred region of an image of `size` with the box's
    proportions (width / height); at least one pixel each way."""
    width, height = size
    ratio = width_mm / height_mm
    if width >= height * ratio:  # wider than the box: trim left and right
        keep = max(1, min(width, round(height * ratio)))
        left = (width - keep) // 2
        return left, 0, left + keep, height
    keep = max(1, min(height, round(width / ratio)))
    top = (height - keep) // 2
    return 0, top, width, top + keep


def cropped(data: bytes, width_mm: float, height_mm: float, max_width_px: int | None = None) -> bytes:
    """The photo cropped to the box, as JPEG bytes (kept per content, box and size). `max_width_px`
    defaults to the box's width at PRINT_DPI. Raises ValueError when `data` is not a JPEG or PNG."""
    limit = max_width_px or round(width_mm / MM_PER_INCH * PRINT_DPI)
    key = (hashlib.blake2b(data, digest_size=16).digest(), float(width_mm), float(height_mm), limit)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    out = _crop(data, width_mm, height_mm, limit)
    with _lock:
        _kept[key] = out
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return out


def preview(data: bytes, width_mm: float, height_mm: float) -> bytes:
    """A small JPEG of what will print, for the applicant to see at upload time."""
    return cropped(data, width_mm, height_mm, PREVIEW_WIDTH_PX)


def _decoded_size(size: tuple[int, int], ratio: float, limit: int) -> tuple[int, int]:
    """The smallest size a JPEG may be decoded at (it decodes at 1/2, 1/4 or 1/8 at least this big) so
    that the crop, whichever way the photo turns upright, is still `limit` pixels wide."""
    width, height = size
    scale = min(1.0, limit / (min(width, height) * min(ratio, 1.0)))
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _crop(data: bytes, width_mm: float, height_mm: float, limit: int) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = open_for_decoding(data)
            if opened.format in ("JPEG", "MPO"):
                opened.draft(None, _decoded_size(opened.size, width_mm / height_mm, limit))
            opened.load()
    except Exception as exc:  # a stored file is checked at upload; anything else is not a photo
        raise ValueError("not a JPEG or PNG photo") from exc
    image: Image.Image = ImageOps.exif_transpose(opened)
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    elif image.mode != "RGB":
        image = image.convert("RGB")
    image = image.crop(crop_box(image.size, width_mm, height_mm))
    if image.width > limit:
        height = max(1, round(limit * height_mm / width_mm))
        image = image.resize((limit, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    dpi = round(image.width / (width_mm / MM_PER_INCH))
    image.save(out, "JPEG", quality=90, dpi=(dpi, dpi))
    return out.getvalue()
