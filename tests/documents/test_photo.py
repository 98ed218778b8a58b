"""The photo kept to its box: cropped centred to the box's proportions (bot/documents/photo.py), placed in
the document at exactly `print_size_mm`, and announced with a preview when it is uploaded."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Mm
from PIL import Image

from bot.documents import photo as photos
from bot.documents.docx import NO_PHOTO, render_docx
from bot.documents.images import reencode
from bot.engine.loader import load_form
from bot.intake import Intake
from bot.registry import Registry
from storage import Store
from tests.documents.image_bytes import hostile_jpeg

ROOT = Path(__file__).resolve().parents[2]
BOX = (35.0, 49.0)


def _jpeg(image: Image.Image, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, **save)
    return out.getvalue()


def _banded(width: int, height: int) -> Image.Image:
    """Red where a centred 35:49 crop must cut, green where it must keep."""
    image = Image.new("RGB", (width, height), (220, 0, 0))
    left, top, right, bottom = photos.crop_box((width, height), *BOX)
    image.paste((0, 200, 0), (left, top, right, bottom))
    return image


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _ratio_ok(size: tuple[int, int]) -> bool:
    """The picture has the box's proportions, to the pixel."""
    width, height = size
    return abs(width - height * BOX[0] / BOX[1]) <= 1


@pytest.mark.parametrize(
    ("size", "box"),
    [
        ((900, 1600), (0, 170, 900, 1430)),  # 9:16 phone photo: top and bottom trimmed
        ((1600, 900), (478, 0, 1121, 900)),  # 16:9: the sides trimmed
        ((500, 500), (71, 0, 428, 500)),  # square
        ((350, 490), (0, 0, 350, 490)),  # already 二寸: nothing cut
        ((1, 1), (0, 0, 1, 1)),  # tiny: never less than a pixel
        ((3, 2), (1, 0, 2, 2)),  # the middle column
    ],
)
def test_crop_geometry(size: tuple[int, int], box: tuple[int, int, int, int]) -> None:
    assert photos.crop_box(size, *BOX) == box


@pytest.mark.parametrize("size", [(900, 1600), (1600, 900), (500, 500), (2400, 1800), (40, 30)])
def test_crop_keeps_the_centre_at_the_box_proportions(size: tuple[int, int]) -> None:
    out = _opened(photos.cropped(_jpeg(_banded(*size)), *BOX))
    assert out.format == "JPEG" and _ratio_ok(out.size), out.size
    assert out.width <= round(35 / 25.4 * photos.PRINT_DPI)  # at most 300 dpi over the box, never enlarged
    assert out.width <= size[0]
    for x, y in ((1, 1), (out.width - 2, 1), (1, out.height - 2), (out.width - 2, out.height - 2)):
        red, green, _ = out.getpixel((x, y))  # type: ignore[misc]
        assert green > 150 and red < 80, (size, (x, y), out.getpixel((x, y)))


def test_huge_jpeg_is_decoded_reduced_and_cropped() -> None:
    """A 5000×7000 camera JPEG (35 megapixels): decoded at a reduced size, then cropped."""
    data = _jpeg(_banded(5000, 7000))
    out = _opened(photos.cropped(data, *BOX))
    assert _ratio_ok(out.size) and out.width == round(35 / 25.4 * photos.PRINT_DPI)


def test_exif_rotated_photo_is_cropped_upright() -> None:
    """Stored with orientation 6 (a phone held upright): 1600×900 pixels that show as 900×1600."""
    upright = _banded(900, 1600)
    raw = upright.transpose(Image.Transpose.ROTATE_90)  # as the sensor wrote it
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to show
    out = _opened(photos.cropped(_jpeg(raw, exif=exif.tobytes()), *BOX))
    assert _ratio_ok(out.size)
    assert out.getpixel((out.width // 2, 2))[1] > 150  # type: ignore[index]  # upright: green at the top


def test_png_with_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (700, 980), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (200, 300, 500, 700))
    out_png = io.BytesIO()
    image.save(out_png, "PNG")
    out = _opened(photos.cropped(out_png.getvalue(), *BOX))
    assert out.mode == "RGB" and _ratio_ok(out.size)
    assert min(out.getpixel((2, 2))) > 240  # type: ignore[arg-type]  # transparent → paper white
    centre = out.getpixel((out.width // 2, out.height // 2))
    assert centre[2] > 200 and centre[0] < 60  # type: ignore[index]


@pytest.mark.parametrize(
    "data", [b"", b"<script>alert(1)</script>", b"\xff\xd8\xff\xe0garbage", b"GIF89a" + b"\0" * 40]
)
def test_not_a_photo_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        photos.cropped(data, *BOX)


def test_crops_are_kept_per_content_and_box() -> None:
    data = _jpeg(_banded(900, 1600))
    first = photos.cropped(data, *BOX)
    assert photos.cropped(data, *BOX) is first  # kept
    assert photos.cropped(data, 25, 35) is not first
    one_inch = _opened(photos.cropped(data, 25, 35))
    assert abs(one_inch.width - one_inch.height * 25 / 35) <= 1
    small = _opened(photos.preview(data, *BOX))
    assert small.width == photos.PREVIEW_WIDTH_PX and _ratio_ok(small.size)


# -- in the document ------------------------------------------------------------------------------------


def _render(form_path: Path, stored: bytes) -> bytes:
    program = load_form(form_path, templates=ROOT / "doc_templates")
    document = program.spec.documents[0]
    template = ROOT / "doc_templates" / document.template
    answers = {"photo": {"ref": "p1", "mime": "image/jpeg", "size": len(stored), "name": "x.jpg"}}
    return render_docx(program, template, {}, answers, lambda ref: stored if ref == "p1" else None)


def _media(docx: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        return [zf.read(n) for n in zf.namelist() if n.startswith("word/media/")]


@pytest.mark.parametrize("size", [(900, 1600), (1600, 900), (640, 640)])
def test_document_photo_is_exactly_the_box(size: tuple[int, int]) -> None:
    stored, _ = reencode(_jpeg(_banded(*size)))
    kept = bytes(stored)
    docx = _render(ROOT / "forms" / "cq_pro_to_skill.yaml", stored)
    shapes = Document(io.BytesIO(docx)).inline_shapes
    assert len(shapes) == 1
    assert (shapes[0].width, shapes[0].height) == (Mm(35), Mm(49))
    inline = shapes[0]._inline  # no wrap distance: LibreOffice would add 0.32 cm each side otherwise
    assert [inline.get(side) for side in ("distT", "distB", "distL", "distR")] == ["0"] * 4
    (picture,) = _media(docx)
    assert _ratio_ok(_opened(picture).size)
    assert stored == kept and _opened(stored).size == size  # the applicant's photo itself is unchanged


def test_print_size_from_the_spec(tmp_path: Path) -> None:
    """A form whose box is 一寸 says `print_size_mm: [25, 35]`; the photo prints 25×35 mm."""
    text = (ROOT / "forms" / "hs_guantong.yaml").read_text("utf-8")
    marker = "      - id: photo\n        type: image\n"
    assert marker in text
    form = tmp_path / "hs_guantong.yaml"
    form.write_text(text.replace(marker, marker + "        print_size_mm: [25, 35]\n"), "utf-8")
    (tmp_path / "catalogs").symlink_to(ROOT / "forms" / "catalogs")
    stored, _ = reencode(_jpeg(_banded(900, 1600)))
    shapes = Document(io.BytesIO(_render(form, stored))).inline_shapes
    assert (shapes[0].width, shapes[0].height) == (Mm(25), Mm(35))


def test_no_photo_or_a_damaged_one_leaves_the_box_to_the_template() -> None:
    assert NO_PHOTO == ""
    for stored in (b"", b"\x89PNG\r\n\x1a\n not really"):
        docx = _render(ROOT / "forms" / "cq_pro_to_skill.yaml", stored)
        assert not Document(io.BytesIO(docx)).inline_shapes


# -- at upload time -------------------------------------------------------------------------------------

PHOTO_FORM = """\
id: photos
title: 照片上传
basis: {doc: 某文件}
sections:
  - id: main
    title: 照片
    fields:
      - {id: photo, type: image, prompt: 请上传二寸照片}
      - {id: small, type: image, prompt: 请上传一寸照片, print_size_mm: [25, 35]}
      - {id: name, type: text, prompt: 姓名？}
"""


@pytest.fixture
def intake(tmp_path: Path):  # type: ignore[no-untyped-def]
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "photos.yaml").write_text(PHOTO_FORM, encoding="utf-8")
    with Store(tmp_path / "data") as store:
        yield Intake(Registry.load(forms, tmp_path), store, clock=lambda: dt.date(2024, 1, 2))


def test_upload_reply_says_how_it_prints_and_the_preview_is_the_crop(intake: Intake) -> None:
    app, _ = intake.start("photos", "test")
    replies = intake.upload(app.id, _jpeg(_banded(900, 1600)), "test", "me.jpg")
    notice = next(r for r in replies if r.kind == "notice")
    assert notice.text == "照片将按二寸（3.5×4.9 厘米）居中裁剪后打印，如下图。不合适可回复“上一步”重新上传。"
    assert notice.data == {"photo_crop": {"field": "photo", "width_mm": 35.0, "height_mm": 49.0}}
    assert replies.index(notice) < [r.kind for r in replies].index("question")  # before the next question
    small = _opened(intake.photo_preview(app.id, "photo") or b"")
    assert _ratio_ok(small.size) and small.getpixel((1, 1))[1] > 150  # type: ignore[index]

    replies = intake.upload(app.id, _jpeg(_banded(1600, 900)), "test", "me2.jpg")
    notice = next(r for r in replies if r.kind == "notice")
    assert notice.text.startswith("照片将按一寸（2.5×3.5 厘米）居中裁剪后打印")
    assert notice.data["photo_crop"]["width_mm"] == 25.0
    assert intake.photo_preview(app.id, "name") is None and intake.photo_preview(app.id, "nope") is None


def test_hostile_and_refused_uploads_get_no_crop_notice(intake: Intake) -> None:
    app, _ = intake.start("photos", "test")
    for bad in (b"<script>alert(1)</script>", b"%PDF-1.4\n%%EOF\n"):
        replies = intake.upload(app.id, bad, "test", "</w:t>.jpg")
        assert replies[0].kind == "error"
        assert not any("photo_crop" in r.data for r in replies)
    assert intake.photo_preview(app.id, "photo") is None
    replies = intake.upload(app.id, hostile_jpeg(), "test", "{{ 7*7 }}.jpg")  # metadata dropped, taken
    assert any("photo_crop" in r.data for r in replies)
