"""Exports from a campaign's applications page: the selection as the summary .xlsx, as CSV (UTF-8 with BOM),
or as one .zip of its generated documents. Each export is a background job (bot/dashboard/export_jobs.py)
with its own page: progress while it runs (the page reloads itself, no JavaScript), then the download.

A job is its starter's: anyone else gets 404, as for a job that does not exist. Downloads are audit-logged
(who, which campaign, which kind, how many, whether full ID numbers are in it; never a value)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from bot.dashboard import auth, listing_page
from bot.dashboard.export_jobs import (
    KINDS,
    MAX_PDF_APPLICATIONS,
    PDF_KINDS,
    STATE_NAMES,
    WINDOW_S,
    ExportJobs,
    Job,
    TooManyJobs,
)
from bot.dashboard.http import (
    NOT_FOUND,
    AdminError,
    Viewer,
    attachment,
    base_context,
    intake_of,
    posted,
    redirect,
    render,
    secure_headers,
    viewer,
    visible_campaign,
)
from bot.dashboard.sealed_files import BrokenFile, read_sealed
from bot.documents import page_images
from bot.engine.campaign import Campaign
from storage import Store, list_query
from storage.audit import AuditEntry

router = APIRouter(prefix="/admin", include_in_schema=False)
MAX_QUERY = 2000  # characters of the list page's query string carried along
REFRESH_S = 2


def selection(store: Store, campaign: Campaign, query: Mapping[str, str], session_id: str) -> list[str]:
    """Which applications an export covers, oldest first: those the list page shows under the same query
    parameters (filters, and a search made in this login), on every page."""
    found, _kept, errors, _term = listing_page.with_search(query, campaign.id, session_id)
    if listing_page.EXPIRED_SEARCH in errors:  # the list shows everything then, with a message: not an export
        raise AdminError(400, "搜索已过期（或不是在这次登录中做的），请回到申报列表重新搜索后再导出。")
    return list_query.ids(store, found)


def query_of(text: str) -> dict[str, str]:
    """The list page's query string as parameters (first value of each, bounded)."""
    pairs = parse_qsl(text[:MAX_QUERY], keep_blank_values=True, max_num_fields=30)
    return {key[:64]: value[:200] for key, value in reversed(pairs)}


def jobs_of(request: Request) -> ExportJobs:
    jobs: ExportJobs | None = getattr(request.app.state, "exports", None)
    if jobs is None:
        raise AdminError(503, "导出功能暂不可用，请稍后再试。")
    return jobs


@router.post("/campaigns/{campaign_id}/exports")
async def start_export(request: Request, campaign_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    campaign = visible_campaign(request, v, campaign_id)
    kind = fields.get("kind", "")
    if kind not in KINDS:
        raise AdminError(400, "请选择导出的格式：Excel、CSV、PDF 或 .zip。")
    if kind in PDF_KINDS and not page_images.CONVERTER.pdf_available():
        raise AdminError(400, "服务器上没有安装 LibreOffice，不能导出 PDF；请导出 Excel 或 .zip。")
    intake = intake_of(request)
    program, _ = intake.registry.resolve(campaign.id)
    if not program.summaries and kind not in ("zip", "zip_pdf"):
        raise AdminError(400, "这个表单没有声明汇总表，只能导出申报材料（.zip）。")
    if kind == "csv" and not program.summaries[0].columns:
        raise AdminError(400, "这个表单的汇总表没有声明各列（columns），不能导出 CSV。")
    query = query_of(fields.get("query", ""))
    ids = await run_in_threadpool(selection, intake.store, campaign, query, v.session_id)
    if kind == "zip_pdf" and len(ids) > MAX_PDF_APPLICATIONS:
        raise AdminError(
            400,
            f"含 PDF 的申报材料一次最多导出 {MAX_PDF_APPLICATIONS} 份申报（现在选中 {len(ids)} 份）。"
            "请先筛选，或导出不含 PDF 的 .zip。",
        )
    try:
        job = jobs_of(request).submit(v.user.id, v.user.username, campaign.id, kind, ids)
    except TooManyJobs:
        raise AdminError(429, "您已有几项导出正在进行，请等它们完成后再导出。") from None
    entry = AuditEntry(
        v.user.username, "export_started", campaign.id, {"kind": kind, "count": len(ids), "job": job.id}
    )
    await run_in_threadpool(auth.accounts_of(request).audit, entry)
    return redirect(f"/admin/exports/{job.id}")


def _job(request: Request, v: Viewer, job_id: str) -> Job:
    job = jobs_of(request).get(job_id[:64], v.user.id)
    if job is None:
        raise AdminError(404, NOT_FOUND)
    visible_campaign(request, v, job.campaign_id)  # no longer theirs: 404 as well
    return job


@router.get("/exports/{job_id}", response_class=HTMLResponse)
async def export_page(request: Request, job_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    job = _job(request, v, job_id)
    campaign = intake_of(request).registry.campaigns[job.campaign_id]
    context = {
        **base_context(request, v),
        "job": job,
        "campaign": campaign,
        "kind_name": KINDS[job.kind][0],
        "state_name": STATE_NAMES.get(job.state, job.state),
        "percent": int(100 * job.done / job.total) if job.total else 100,
        "refresh": REFRESH_S if job.active else None,
        "window_minutes": WINDOW_S // 60,
    }
    return render(request, "export.html", context)


@router.get("/exports/{job_id}/download")
async def export_download(request: Request, job_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    job = _job(request, v, job_id)
    jobs = jobs_of(request)
    path, key = jobs.result(job), job.key
    if job.state != "ready" or not key or not path.is_file():
        raise AdminError(404, "这项导出没有可下载的文件（未完成、已过期或服务器重启过）。请重新导出。")
    try:
        chunks = read_sealed(path, key)
        first = await run_in_threadpool(next, chunks, b"")
    except (BrokenFile, OSError):
        raise AdminError(404, "导出的文件已不能打开，请重新导出。") from None
    detail = {"kind": job.kind, "count": job.rows, "job": job.id, "full_id": job.full_id}
    entry = AuditEntry(v.user.username, "export_downloaded", job.campaign_id, detail)
    await run_in_threadpool(auth.accounts_of(request).audit, entry)

    def rest() -> Iterator[bytes]:
        yield first
        yield from chunks

    _, _, media = KINDS[job.kind]
    response = StreamingResponse(
        rest(), media_type=media, headers={"Content-Disposition": attachment(job.filename)}
    )
    return secure_headers(response)
