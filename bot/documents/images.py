"""Uploads: checked by content and size; images decoded at reduced size, one at a time, and re-encoded from
their pixels alone (no EXIF, GPS, comment, ICC, XMP or other metadata); PDFs checked by signature."""

from __future__ import annotations

import io
import logging
import math
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_SIDE = 2400  # the longest side kept
MAX_PIXELS = 40_000_000  # a JPEG as its header says; it is decoded at 1/2, 1/4 or 1/8 of that if need be
MAX_DECODED_PIXELS = 12_500_000  # decoded at most (50 MB as RGBX); a PNG's limit; 4032×3024 fits as it is
DECODERS = 1  # images decoded at once, on their own thread so their memory is reused

FORMATS = ("JPEG", "PNG")  # the only decoders Pillow may try; an MPO (multi-picture JPEG) opens as JPEG

_decoder = ThreadPoolExecutor(max_workers=DECODERS, thread_name_prefix="image-decode")
log = logging.getLogger(__name__)

UNKNOWN = "无法识别为 JPG 或 PNG 图片，请重新拍照或选择照片。"
DAMAGED = "图片文件已损坏，或不是真正的 JPG 或 PNG 图片，请重新拍照或选择照片。"


def too_large(size: tuple[int, int] | None = None) -> str:
    got = f"（{size[0]}×{size[1]}）" if size else ""
    return f"图片尺寸过大{got}，请上传普通照片（不超过 {MAX_PIXELS // 10_000} 万像素）。"


class BadImage(ValueError):
    """Not an image we accept; the message is for the applicant."""


def reencode(data: bytes, *, max_bytes: int = 10 * 1024 * 1024) -> tuple[bytes, str]:
    """Return (JPEG or PNG bytes, mime). Orientation is applied, then only the pixels are kept. Decoding
    waits its turn: DECODERS at a time, however many uploads arrive together."""
    if len(data) > max_bytes:
        raise BadImage(f"文件太大（{len(data) / 1048576:.1f} MB），最大 {max_bytes // 1048576} MB。")
    if not data:
        raise BadImage("没有收到图片内容，请重新拍照或选择照片。")
    return _decoder.submit(_reencode, data).result()


def _reencode(data: bytes) -> tuple[bytes, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = open_for_decoding(data)
            image.load()
        return _pixels_only(image)
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImage(too_large()) from None
    except UnidentifiedImageError:
        raise BadImage(UNKNOWN) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error):
        raise BadImage(DAMAGED) from None
    except Exception:  # hostile input must not become a server error
        log.warning("an upload could not be decoded", exc_info=True)
        raise BadImage(DAMAGED) from None


def open_for_decoding(data: bytes) -> ImageFile.ImageFile:
    """The image, checked from its header and not decoded yet; `size` is what it will decode to. A PNG is
    decoded at full size, so its header must be within MAX_DECODED_PIXELS; a JPEG is set to decode at the
    smallest 1/2, 1/4 or 1/8 that still gives MAX_SIDE on the long side, or smaller if that would be over
    MAX_DECODED_PIXELS."""
    image = Image.open(io.BytesIO(data), formats=FORMATS)
    width, height = image.size
    if image.format == "PNG":
        if width * height > MAX_DECODED_PIXELS:
            raise BadImage(
                f"PNG 图片尺寸过大（{width}×{height}），PNG 最多 {MAX_DECODED_PIXELS // 10_000} 万像素。"
                "请上传 JPG 照片，或把图片缩小后再上传。"
            )
        return image
    if image.format not in ("JPEG", "MPO"):
        raise BadImage("只支持 JPG 或 PNG 照片。")
    if width * height > MAX_PIXELS:
        raise BadImage(too_large((width, height)))
    scale = 1
    while scale < 8 and (
        max(width, height) // (2 * scale) >= MAX_SIDE
        or math.ceil(width / scale) * math.ceil(height / scale) > MAX_DECODED_PIXELS
    ):
        scale *= 2
    if scale > 1:
        image.draft(None, (max(1, width // scale), max(1, height // scale)))
    if image.width * image.height > MAX_DECODED_PIXELS:
        raise BadImage(too_large((width, height)))
    return image


def _pixels_only(image: Image.Image) -> tuple[bytes, str]:
    """Scaled down, turned upright, and saved with nothing but its pixels (an MPO: its first picture)."""
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    ImageOps.exif_transpose(image, in_place=True)
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "P", "PA"):
        clean = image.convert("RGBA")
        clean.info = {}  # no text chunks, ICC profile, EXIF or DPI carried over
        clean.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    clean = image if image.mode == "RGB" else image.convert("RGB")
    clean.info = {}  # no comment, ICC profile, EXIF, XMP, Adobe or other APPn segment carried over
    clean.save(out, "JPEG", quality=90)
    return out.getvalue(), "image/jpeg"


def sniff_image(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"))


def check_document(data: bytes, accept: list[str], *, max_bytes: int) -> tuple[bytes, str]:
    """A non-image upload (a PDF copy of a certificate): kept byte for byte once its content is checked."""
    if len(data) > max_bytes:
        raise BadImage(f"文件太大（{len(data) / 1048576:.1f} MB），最大 {max_bytes // 1048576} MB。")
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and "application/pdf" in accept:
        return data, "application/pdf"
    kinds = "、".join(_NAMES.get(a, a) for a in accept)
    raise BadImage(f"文件类型不支持，请上传 {kinds}。")


_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG"}
