"""Uploads: checked by content and size; images re-encoded without EXIF/GPS, PDFs checked by signature."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000
MAX_SIDE = 2400


class BadImage(ValueError):
    """Not an image we accept; the message is for the applicant."""


def reencode(data: bytes, *, max_bytes: int = 10 * 1024 * 1024) -> tuple[bytes, str]:
    """Return (JPEG or PNG bytes, mime). Metadata is dropped; orientation is applied first."""
    if len(data) > max_bytes:
        raise BadImage(f"文件太大（{len(data) / 1048576:.1f} MB），最大 {max_bytes // 1048576} MB。")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format not in ("JPEG", "PNG"):
                raise BadImage("只支持 JPG 或 PNG 照片。")
            if image.width * image.height > MAX_PIXELS:
                raise BadImage("图片尺寸过大，请上传普通照片（不超过 4000 万像素）。")
            image.load()
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadImage("无法识别为 JPG 或 PNG 图片，请重新拍照或选择照片。") from None
        except BadImage:
            raise
        except (OSError, SyntaxError, ValueError):
            raise BadImage("图片文件已损坏，或不是真正的 JPG 或 PNG 图片，请重新拍照或选择照片。") from None
    upright: Image.Image = ImageOps.exif_transpose(image)
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if upright.mode in ("RGBA", "LA", "P"):
        upright.convert("RGBA").save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    upright.convert("RGB").save(out, "JPEG", quality=90)
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
