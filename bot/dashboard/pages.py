"""The coordinator pages under /admin: login, password change, logout, campaigns, applications, an
application's page and its documents and files. Shared plumbing (sessions, CSRF, visibility) is in
`bot.dashboard.http`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import application_page, auth, detail, passwords, users, views
from bot.dashboard.http import (
    NOT_FOUND,
    AdminError,
    Viewer,
    any_session,
    attachment,
    base_context,
    intake_of,
    posted,
    redirect,
    render,
    secure_headers,
    viewer,
    visible_application,
)
from bot.documents import pdf as pdfs
from storage import listing
from storage.audit import AuditEntry

router = APIRouter(prefix="/admin", include_in_schema=False)


# -- login, logout, password -------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
async def home() -> Response:
    return redirect("/admin/campaigns")


def _login_page(
    request: Request, error: str | None = None, status: int = 200, username: str = ""
) -> Response:
    secret = auth.new_login_secret()
    context = {**base_context(request, None), "csrf": secret, "error": error, "username": username}
    response = render(request, "login.html", context, status)
    auth.set_login_cookie(request, response, secret)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if await run_in_threadpool(auth.current_session, request) is not None:
        return redirect("/admin/campaigns")
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    secret = request.cookies.get(auth.LOGIN_COOKIE)
    if not secret:
        raise AdminError(403, "登录页面已过期，请刷新后重新登录。")
    fields = await posted(request, secret)
    username, password = fields.get("username", "")[:64], fields.get("password", "")[: passwords.MAX_LENGTH]
    if not username or not password:
        return _login_page(request, "请输入用户名和密码。", 400, username)
    accounts = auth.accounts_of(request)
    result = await run_in_threadpool(auth.log_in, accounts, username, password, auth.client_address(request))
    if result.session_id is None or result.user is None:
        return _login_page(request, result.error, 429 if result.locked else 401, username)
    if result.pending:
        response = redirect("/admin/login/code")
    else:
        response = redirect("/admin/password" if result.user.must_change else "/admin/campaigns")
    auth.set_session_cookie(request, response, result.session_id)
    response.delete_cookie(auth.LOGIN_COOKIE, path=f"{auth.COOKIE_PATH}/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    found = await run_in_threadpool(auth.current_session, request)
    if found is None:
        response = redirect("/admin/login")
        auth.clear_session_cookie(request, response)
        return response
    session, session_id = found
    await posted(request, auth.csrf_token(session_id))
    entry = AuditEntry(session.user.username, "logout", None, {"address": auth.client_address(request)})
    await run_in_threadpool(auth.accounts_of(request).end_session, session_id, entry)
    response = redirect("/admin/login")
    auth.clear_session_cookie(request, response)
    return response


@router.get("/password", response_class=HTMLResponse)
async def password_form(request: Request, v: Viewer = Depends(any_session)) -> Response:  # noqa: B008
    context = {**base_context(request, v), "forced": v.user.must_change, "error": None}
    return render(request, "password.html", context)


@router.post("/password")
async def change_password(request: Request, v: Viewer = Depends(any_session)) -> Response:  # noqa: B008
    fields = await posted(request, v.csrf)
    accounts = auth.accounts_of(request)
    current, new, again = fields.get("current", ""), fields.get("new", ""), fields.get("again", "")
    address = auth.client_address(request)

    def change() -> str | None:
        if new != again:
            return "两次输入的新密码不一致。"
        if new == current:
            return "新密码不能与当前密码相同。"
        # Counted like a login: a session left open must not let anyone try passwords without limit.
        user, refused = auth.check_password(
            accounts, v.user.username, current[: passwords.MAX_LENGTH], address, "password_check_failed"
        )
        if user is None:
            return "当前密码不正确。" if refused is None or not refused.locked else refused.error
        try:
            users.set_password(accounts, v.user.username, new, actor=v.user.username)
        except users.UserError as exc:
            return str(exc)
        return None

    error = await run_in_threadpool(change)
    if error:
        context = {**base_context(request, v), "forced": v.user.must_change, "error": error}
        return render(request, "password.html", context, 400)
    # Every session of the account ended with the change: this browser continues in a new one.
    session_id = await run_in_threadpool(accounts.start_session, v.user.id)
    response = redirect("/admin/campaigns?changed=1")
    auth.set_session_cookie(request, response, session_id)
    return response


# -- campaigns and applications ----------------------------------------------------------------


@router.get("/campaigns", response_class=HTMLResponse)
async def campaigns(request: Request, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    intake = intake_of(request)
    visible = views.visible_campaigns(intake.registry, v.user)
    counts = await run_in_threadpool(listing.counts, intake.store, [c.id for c in visible])
    today = intake.clock()
    rows = [views.campaign_row(intake.registry, c, counts.get(c.id, 0), today) for c in visible]
    context = {**base_context(request, v), "campaigns": rows, "changed": request.query_params.get("changed")}
    return render(request, "campaigns.html", context)


@router.get("/applications/{app_id}", response_class=HTMLResponse)
async def application(request: Request, app_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    app = await visible_application(request, v, app_id)
    return render(request, "application.html", await application_page.context(request, v, app))


@router.get("/applications/{app_id}/documents/{doc_id}")
async def document(request: Request, app_id: str, doc_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """A generated document (.docx, with the full ID number in it): audit-logged."""
    intake = intake_of(request)
    app = await visible_application(request, v, app_id)
    if app.status != "complete":
        raise AdminError(404, NOT_FOUND)
    futures = await run_in_threadpool(intake.pending_documents, app, None, doc_id[:64])
    if not futures:
        raise AdminError(404, NOT_FOUND)
    doc = await asyncio.shield(asyncio.wrap_future(futures[0]))
    entry = AuditEntry(v.user.username, "document_downloaded", app.id, {"document": doc.id})
    await run_in_threadpool(auth.accounts_of(request).audit, entry)
    response = Response(
        doc.data,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": attachment(doc.filename)},
    )
    return secure_headers(response)


@router.get("/applications/{app_id}/documents/{doc_id}/pdf")
async def document_pdf(request: Request, app_id: str, doc_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """A generated document as PDF (the warm converter, cached per application version and content, the
    same conversion the applicant's PDF uses): checked and audit-logged like the .docx; 503 with a
    message when LibreOffice is missing, busy or fails."""
    intake = intake_of(request)
    app = await visible_application(request, v, app_id)
    if app.status != "complete":
        raise AdminError(404, NOT_FOUND)
    if not intake.pdf_available():
        raise AdminError(503, pdfs.UNAVAILABLE)
    futures = await run_in_threadpool(intake.pending_pdfs, app, None, doc_id[:64])
    if not futures:
        raise AdminError(404, NOT_FOUND)
    try:
        doc = await asyncio.shield(asyncio.wrap_future(futures[0]))
    except pdfs.PdfError as exc:
        raise AdminError(503, str(exc)) from None
    entry = AuditEntry(v.user.username, "document_downloaded", app.id, {"document": doc.id, "format": "pdf"})
    await run_in_threadpool(auth.accounts_of(request).audit, entry)
    response = Response(
        doc.data, media_type="application/pdf", headers={"Content-Disposition": attachment(doc.filename)}
    )
    return secure_headers(response)


@router.get("/applications/{app_id}/files/{ref}")
async def file(request: Request, app_id: str, ref: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    """An applicant's photo or upload (shown inline when an image): only a file the application's answers
    name, of an application the user may see; audit-logged."""
    intake = intake_of(request)
    app = await visible_application(request, v, app_id)
    program, _ = intake.program_for(app)
    if ref not in detail.refs(program, app.state.get("answers") or {}):
        raise AdminError(404, NOT_FOUND)
    found = await run_in_threadpool(intake.store.get_file, ref, app.id)
    if found is None or found[1] not in detail.FILE_TYPES:
        raise AdminError(404, NOT_FOUND)
    data, mime = found
    entry = AuditEntry(v.user.username, "file_viewed", app.id, {"file": ref})
    await run_in_threadpool(auth.accounts_of(request).audit, entry)
    name = (
        "照片" + (".png" if mime == "image/png" else ".jpg") if mime.startswith("image/") else "上传文件.pdf"
    )
    disposition = (
        attachment(name).replace("attachment", "inline", 1) if mime.startswith("image/") else attachment(name)
    )
    return secure_headers(Response(data, media_type=mime, headers={"Content-Disposition": disposition}))
