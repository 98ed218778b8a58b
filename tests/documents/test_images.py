"""Uploaded images: only pixels survive re-encoding, decoding is reduced and one at a time, hostile files
are refused with a message for the applicant."""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from PIL import Image, ImageFile, PngImagePlugin

from bot.documents import images
from bot.documents.images import BadImage, open_for_decoding, reencode
from tests.documents.image_bytes import (
    ALLOWED_JPEG,
    HOSTILE,
    hostile_jpeg,
    jpeg_segments,
    plain_jpeg,
    with_frame_size,
)


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        out.append(data[i + 4 : i + 8])
        i += 12 + length
    return out


def test_jpeg_keeps_only_pixels_no_comment_or_app_segments() -> None:
    data = hostile_jpeg()
    markers = {m for m, _ in jpeg_segments(data)}
    assert {0xE1, 0xE2, 0xE3, 0xED, 0xEF, 0xFE} <= markers and HOSTILE[0].encode() in data
    clean, mime = reencode(data)
    assert mime == "image/jpeg"
    segments = jpeg_segments(clean)
    assert {m for m, _ in segments} <= ALLOWED_JPEG, [hex(m) for m, _ in segments]
    app0 = [p for m, p in segments if m == 0xE0]
    assert len(app0) == 1 and app0[0].startswith(b"JFIF\x00")
    for text in (*HOSTILE, "Photoshop", "xmpmeta", "ICC_PROFILE", "Exif"):
        assert text.encode() not in clean
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (120, 160) and not image.getexif()


def test_png_keeps_only_pixels_no_text_icc_or_exif_chunks() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", HOSTILE[0])
    info.add_text("Title", HOSTILE[1], zip=True)
    info.add_itxt("Description", HOSTILE[1], lang="zh", tkey="说明")
    exif = Image.Exif()
    exif[0x010F] = HOSTILE[0]
    out = io.BytesIO()
    Image.new("RGBA", (80, 60), (200, 10, 10, 128)).save(
        out, "PNG", pnginfo=info, icc_profile=b"ICC" + HOSTILE[1].encode(), exif=exif, dpi=(300, 300)
    )
    data = out.getvalue()
    assert {b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"} <= set(png_chunks(data))
    clean, mime = reencode(data)
    assert mime == "image/png"
    assert png_chunks(clean) in ([b"IHDR", b"IDAT", b"IEND"], [b"IHDR", *[b"IDAT"] * 2, b"IEND"])
    assert all(text.encode() not in clean for text in HOSTILE)
    assert all(text.encode() not in zlib.decompress(_idat(clean)) for text in HOSTILE)


def _idat(png: bytes) -> bytes:
    out, i = b"", 8
    while i < len(png):
        length = int.from_bytes(png[i : i + 4], "big")
        if png[i + 4 : i + 8] == b"IDAT":
            out += png[i + 8 : i + 8 + length]
        i += 12 + length
    return out


def mpo(first: tuple[int, int, int], second: tuple[int, int, int]) -> bytes:
    """A two-picture MPO as phones write them (the first picture is the photo)."""
    out = io.BytesIO()
    left = Image.new("RGB", (320, 240), first)
    left.save(out, "MPO", save_all=True, append_images=[Image.new("RGB", (320, 240), second)])
    return out.getvalue()


def test_mpo_from_a_phone_is_taken_as_its_first_picture() -> None:
    data = mpo((200, 10, 10), (10, 200, 10))
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.format == "MPO" and getattr(opened, "n_frames", 1) == 2
    clean, mime = reencode(data)
    assert mime == "image/jpeg"
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "JPEG" and image.size == (320, 240)
        red, green, _ = image.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
        assert red > 150 and green < 60
    assert {m for m, _ in jpeg_segments(clean)} <= ALLOWED_JPEG  # no MPF (APP2) index of other pictures


@pytest.mark.parametrize(
    ("size", "decoded"),
    [
        ((7296, 5472), (3648, 2736)),  # 40 MP: half size is still over 2400 on the long side
        ((4608, 3456), (2304, 1728)),  # 16 MP: halved to stay within MAX_DECODED_PIXELS
        ((4032, 3024), (4032, 3024)),  # 12.2 MP (most phones): as it is
        ((20000, 1500), (2500, 188)),  # a panorama: 1/8
    ],
)
def test_jpeg_is_decoded_reduced(size: tuple[int, int], decoded: tuple[int, int]) -> None:
    image = open_for_decoding(with_frame_size(plain_jpeg(), *size))
    assert image.size == decoded
    assert image.width * image.height <= images.MAX_DECODED_PIXELS


@pytest.fixture(scope="module")
def jpeg_40mp() -> bytes:
    out = io.BytesIO()
    small = Image.frombytes("RGB", (8, 6), bytes(range(144)))
    small.resize((7296, 5472), Image.Resampling.NEAREST).save(out, "JPEG", quality=30)
    return out.getvalue()


def test_40_megapixel_jpeg_is_accepted_and_scaled_to_the_longest_side(jpeg_40mp: bytes) -> None:
    clean, mime = reencode(jpeg_40mp)
    with Image.open(io.BytesIO(clean)) as image:
        assert mime == "image/jpeg" and image.size == (2400, 1800)


def test_images_are_decoded_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """However many uploads arrive together, DECODERS images are decoded at once."""
    state = {"now": 0, "most": 0}
    lock = threading.Lock()
    load: Callable[..., Any] = ImageFile.ImageFile.load

    def counting_load(self: ImageFile.ImageFile) -> Any:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            time.sleep(0.05)
            return load(self)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", counting_load)
    photos = [plain_jpeg(colour=(i * 20, 0, 0)) for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(reencode, photos))
    assert [mime for _, mime in results] == ["image/jpeg"] * 6
    assert state["most"] == images.DECODERS == 1


def _png(mode: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _ihdr_size(png: bytes, width: int, height: int) -> bytes:
    """The same PNG with another size in its header (and a matching CRC): a bomb without the body."""
    header = b"IHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big") + png[24:29]
    return png[:12] + header + zlib.crc32(header).to_bytes(4, "big") + png[33:]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: b"", "没有收到图片内容"),
        (lambda: b"<html><script>alert(1)</script></html>", "无法识别"),
        (lambda: b"GIF89a" + b"\x00" * 100, "无法识别"),
        (lambda: b"\xff\xd8\xff" + bytes(range(256)) * 4, "无法识别"),
        (lambda: plain_jpeg((400, 300))[:300], "已损坏"),  # truncated
        (lambda: with_frame_size(plain_jpeg(), 6000, 4000)[:-2], "已损坏"),  # 24 MP header, tiny body
        (lambda: with_frame_size(plain_jpeg(), 9000, 6000), "尺寸过大（9000×6000）"),  # 54 MP
        (lambda: with_frame_size(plain_jpeg(), 60000, 60000), "尺寸过大"),
        (lambda: _png("L", (4000, 3200)), "PNG 图片尺寸过大（4000×3200）"),  # 12.8 MP: no reduced decoding
        (lambda: _ihdr_size(_png("1", (8, 8)), 100_000, 100_000), "尺寸过大"),
        (lambda: _png("L", (64, 64))[:60], "已损坏"),
    ],
)
def test_hostile_images_are_refused_with_a_message(make: Callable[[], bytes], message: str) -> None:
    with pytest.raises(BadImage) as refused:
        reencode(make())
    assert message in str(refused.value)


def test_a_large_header_over_a_complete_tiny_body_is_decoded_reduced() -> None:
    """libjpeg fills what the scan lacks with grey when the end marker comes early: such a file is an
    (ugly) picture, decoded at reduced size like any other, not an error."""
    clean, _ = reencode(with_frame_size(plain_jpeg(), 6000, 4000))
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (2400, 1600)
