"""Image bytes for upload tests: hostile JPEGs, and reading JPEG segments back."""

from __future__ import annotations

import io

from PIL import Image

HOSTILE = ("<script>alert(1)</script>", "</w:t></w:r><w:r><w:t>injected")
ALLOWED_JPEG = {0xE0, 0xDB, 0xC0, 0xC4, 0xDD}  # APP0 (JFIF), quantisation, frame, Huffman, restart interval


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment from SOI up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    out, i = [], 2
    while i < len(data):
        assert data[i] == 0xFF, f"not a marker at {i}"
        marker = data[i + 1]
        if marker == 0xDA:
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        out.append((marker, data[i + 4 : i + 2 + length]))
        i += 2 + length
    return out


def plain_jpeg(size: tuple[int, int] = (120, 160), colour: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def hostile_jpeg() -> bytes:
    """A JPEG with a comment, EXIF with GPS, XMP, an ICC profile, and APP3/APP13/APP15 segments carrying
    markup, plus a 60 KB comment of arbitrary bytes."""
    exif = Image.Exif()
    exif[0x010F] = HOSTILE[0]  # Make
    exif[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (10, 120, 200)).save(
        out,
        "JPEG",
        exif=exif,
        comment=HOSTILE[0].encode(),
        icc_profile=b"ICC" + HOSTILE[1].encode() * 4,
        xmp=f"<x:xmpmeta>{HOSTILE[1]}</x:xmpmeta>".encode(),
    )
    base = out.getvalue()
    extra = (
        segment(0xE3, b"META\x00" + HOSTILE[1].encode())
        + segment(0xED, b"Photoshop 3.0\x008BIM" + HOSTILE[0].encode())
        + segment(0xEF, HOSTILE[1].encode())
        + segment(0xFE, (HOSTILE[1].encode() + bytes(range(256))) * 200)
    )
    return base[:2] + extra + base[2:]


def with_frame_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with another size in its frame header (SOF0): the header of a large photo, with a
    tiny (and so truncated) body."""
    at = jpeg.index(b"\xff\xc0")
    return jpeg[: at + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[at + 9 :]
