"""Document render time of our path versus plain docxtpl, same template, same values, same run.

Our path:  template_context(program, ev, document, campaign) + render_docx(...) with an uploaded photo.
Baseline:  DocxTemplate(path).render(values, autoescape=True) + save to BytesIO, where `values` is the
           dict render_docx hands to docxtpl (the same context, long texts as Listing, the photo as an
           InlineImage built from the same bytes) — prepared once, outside the timing.

The two are run interleaved (alternating which goes first), N times each after a warm-up; the ratio
is median(ours) / median(baseline).

    python benchmarks/document_render.py [-n 50] [--warmup 5]

Target: ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import statistics
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    FORMS,
    INPUTS,
    PHOTO_TURN,
    TEMPLATES,
    TODAY,
    chdir_root,
    pin_one_core,
    profile_text,
    summary_us,
    top_functions,
    write_result,
)
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing
from PIL import Image

from bot.documents.context import template_context
from bot.documents.docx import render_docx
from bot.documents.images import reencode
from bot.documents.photo import cropped
from bot.engine.campaign import Campaign
from bot.engine.evaluate import Evaluation, evaluate
from bot.engine.expressions import truthy
from bot.engine.flow import current_slot, step
from bot.engine.program import FormProgram
from bot.engine.spec import DocumentSpec, ImageField, LongTextField
from bot.registry import Registry

NAME = "document_render"
CAMPAIGN = "cq_hgzy_2023"
TARGET_RATIO = 1.2
PHOTO_REF = "bench-photo"


def make_photo() -> bytes:
    """A deterministic 二寸 (350x490 px) photo-like JPEG, passed through the bot's own re-encoding."""
    image = Image.new("RGB", (350, 490))
    pixels = [((x * 7 + y * 3) % 256, (x * y) % 256, (y * 5) % 256) for y in range(490) for x in range(350)]
    image.putdata(pixels)
    raw = io.BytesIO()
    image.save(raw, "JPEG", quality=92)
    clean, mime = reencode(raw.getvalue())
    assert mime == "image/jpeg"
    return clean


def complete_with_photo(program: FormProgram, campaign: Campaign, photo: bytes) -> dict[str, Any]:
    """The flagship conversation, but with the photo uploaded instead of skipped."""
    state: dict[str, Any] | None = None
    for i, text in enumerate(INPUTS):
        event: dict[str, Any]
        if i == PHOTO_TURN:
            assert state is not None
            slot = current_slot(program, state, today=TODAY, campaign=campaign)
            if slot is None or slot.key != "photo":
                raise SystemExit(f"turn {i} is not the photo question ({slot}); update PHOTO_TURN")
            upload = {"ref": PHOTO_REF, "mime": "image/jpeg", "size": len(photo), "name": "photo.jpg"}
            event = {"type": "file", "file": upload}
        else:
            event = {"type": "text", "text": text}
        state, _ = step(program, state, event, today=TODAY, campaign=campaign)
    assert state is not None
    if (state.get("mode"), state.get("status")) != ("done", "complete"):
        raise SystemExit(f"conversation did not complete: {state.get('mode')!r} {state.get('status')!r}")
    if not isinstance(state.get("answers", {}).get("photo"), dict):
        raise SystemExit("the photo answer is missing from the final state")
    return state


def the_document(program: FormProgram, ev: Evaluation) -> DocumentSpec:
    docs = [c.document for c in program.documents if c.when is None or truthy(c.when, ev.context)]
    if len(docs) != 1:
        raise SystemExit(f"expected exactly one document for the flagship form, got {len(docs)}")
    return docs[0]


def plain_values(program: FormProgram, context: dict[str, Any]) -> dict[str, Any]:
    """The values render_docx gives docxtpl, minus the photo (which needs its template object)."""
    values = dict(context)
    for key, info in program.fields.items():
        if info.group is None and isinstance(info.field, LongTextField) and isinstance(values.get(key), str):
            values[key] = Listing(values[key])
    for key, value in list(values.items()):
        if isinstance(value, str) and "\n" in value:
            values[key] = Listing(value)
    return values


def photo_keys(program: FormProgram) -> list[str]:
    return [k for k, i in program.fields.items() if i.group is None and isinstance(i.field, ImageField)]


def document_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("word/document.xml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="timed renders of each kind")
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    chdir_root()
    cpu = pin_one_core()
    registry = Registry.load(FORMS, TEMPLATES)
    program, campaign = registry.resolve(CAMPAIGN)
    assert campaign is not None
    photo = make_photo()
    state = complete_with_photo(program, campaign, photo)
    answers: dict[str, Any] = state["answers"]
    ev = evaluate(program, state, TODAY, campaign)
    document = the_document(program, ev)
    template: Path = registry.template(document.template)
    files = {PHOTO_REF: photo}

    def read_file(ref: str) -> bytes | None:
        return files.get(ref)

    # Baseline input: computed once, outside the timing.
    base_values = plain_values(program, template_context(program, ev, document, campaign))
    images = photo_keys(program)

    def ours() -> bytes:
        context = template_context(program, ev, document, campaign)
        return render_docx(program, template, context, answers, read_file)

    def baseline() -> bytes:
        tpl = DocxTemplate(str(template))
        values = dict(base_values)
        for key in images:
            field = program.fields[key].field
            assert isinstance(field, ImageField)
            width, height = field.print_size_mm
            picture = cropped(photo, width, height)  # the same crop ours places (kept per photo content)
            values[key] = InlineImage(tpl, io.BytesIO(picture), width=Mm(width), height=Mm(height))
        tpl.render(values, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    # Same output? (The rendered body must match, or the comparison is not like for like.)
    ours_xml, base_xml = document_xml(ours()), document_xml(baseline())
    same_body = ours_xml == base_xml
    has_picture = b"<pic:pic" in ours_xml

    for _ in range(args.warmup):
        ours()
        baseline()

    kinds: dict[str, Callable[[], bytes]] = {"ours": ours, "baseline": baseline}
    samples: dict[str, list[int]] = {"ours": [], "baseline": []}
    gc.collect()
    for i in range(args.n):
        order = ("ours", "baseline") if i % 2 == 0 else ("baseline", "ours")
        for kind in order:
            t0 = time.perf_counter_ns()
            kinds[kind]()
            samples[kind].append(time.perf_counter_ns() - t0)

    # Where our extra time could come from: the context step on its own.
    context_ns: list[int] = []
    for _ in range(args.n):
        t0 = time.perf_counter_ns()
        template_context(program, ev, document, campaign)
        context_ns.append(time.perf_counter_ns() - t0)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(10):
        ours()
    profiler.disable()

    ours_ms = statistics.median(samples["ours"]) / 1e6
    base_ms = statistics.median(samples["baseline"]) / 1e6
    ratio = ours_ms / base_ms
    paired = statistics.median(o / b for o, b in zip(samples["ours"], samples["baseline"], strict=True))
    met = ratio <= TARGET_RATIO
    result: dict[str, Any] = {
        "n": args.n,
        "warmup": args.warmup,
        "pinned_cpu": cpu,
        "template": str(template.relative_to(TEMPLATES.parent)),
        "photo_bytes": len(photo),
        "output_bytes": {"ours": len(ours()), "baseline": len(baseline())},
        "same_document_xml": same_body,
        "photo_rendered": has_picture,
        "median_ms": {"ours": round(ours_ms, 3), "baseline": round(base_ms, 3)},
        "ours_ms": {k: round(v / 1000, 3) for k, v in summary_us(samples["ours"]).items()},
        "baseline_ms": {k: round(v / 1000, 3) for k, v in summary_us(samples["baseline"]).items()},
        "template_context_us": {k: round(v, 1) for k, v in summary_us(context_ns).items()},
        "ratio_of_medians": round(ratio, 3),
        "median_of_paired_ratios": round(paired, 3),
        "target": {"ratio_max": TARGET_RATIO},
        "target_met": met,
        "profile": {
            "renders": 10,
            "top_cumulative": top_functions(profiler, "cumulative"),
            "cumulative_text": profile_text(profiler, "cumulative"),
            "tottime_text": profile_text(profiler, "tottime"),
        },
    }
    path = write_result(NAME, result)

    print(f"document render — {result['template']}, photo {len(photo):,} B, N={args.n} each, cpu {cpu}")
    print(f"  ours (template_context + render_docx)  median {ours_ms:8.2f} ms")
    print(f"  plain docxtpl render + save            median {base_ms:8.2f} ms")
    print(f"  ratio (median/median)  {ratio:.3f}×   paired median {paired:.3f}×   (target ≤ {TARGET_RATIO}×)")
    print(f"  template_context alone median {result['template_context_us']['p50']:.0f} µs")
    print(f"  same word/document.xml: {same_body}; photo in document: {has_picture}")
    print(f"  target {'MET' if met else 'MISSED'}")
    print(f"  → {path}")


if __name__ == "__main__":
    main()
