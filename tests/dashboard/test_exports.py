"""Exports from a campaign's applications page, over a real SQLite file: the summary .xlsx and CSV read back
(openpyxl, csv), the .zip of documents opened (python-docx), hostile and formula-like values kept as text,
background jobs with their progress page, their owner only (404 for anyone else), CSRF, audit entries
without personal values, the download window and a restart."""

from __future__ import annotations

import csv
import io
import stat
import threading
import time
import zipfile
from typing import Any

import pytest
from docx import Document
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook

from bot.app import create_app
from bot.dashboard.export_jobs import WINDOW_S, ExportJobs
from bot.dashboard.exports import query_of
from bot.settings import Settings
from tests.dashboard.conftest import (
    ORIGIN,
    TODAY,
    Clock,
    audit_actions,
    logged_in,
    make_user,
    store_of,
)
from tests.dashboard.test_applications import say, start
from tests.engine.transcript import COMPLETE

CAMPAIGN = "cq_hgzy_2023"
HOSTILE = "<img src=x onerror=alert(1)>"
FULL_ID = "50010119900101123X"
COLUMNS = [
    "序号", "姓名", "性别", "出生年月", "身份证号", "工作单位", "现职称及等级",
    "申报职业（工种）", "申报等级", "评价方式", "联系电话", "状态",
]  # fmt: skip
FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+1+2", "-3+4", "@SUM(1,2)", " =1+1", "\t=2+2"]


def complete(client: TestClient, **answers: str) -> str:
    """A complete flagship application through the chat API (answers by index name); returns its id."""
    given = list(COMPLETE)
    index = {"name": 9, "employer": 19, "title_name": 4}
    for key, value in answers.items():
        given[index[key]] = value
    before = {a.id for a in store_of(client).list_applications(CAMPAIGN)}
    body = say(client, start(client), *given, "确认")
    assert body["state"]["status"] == "complete", body
    (new,) = {a.id for a in store_of(client).list_applications(CAMPAIGN)} - before
    return new


def rewrite(client: TestClient, app_id: str, **answers: Any) -> None:
    """Put values the chat would refuse (an older form version, another channel) into an application."""
    store = store_of(client)
    app = store.get(app_id)
    assert app is not None
    state = {**app.state, "answers": {**app.state["answers"], **answers}}
    store.record_turn(
        app_id, channel="web", kind="text", payload={}, accepted=True, state=state, status=app.status
    )


def export(client: TestClient, csrf: str, kind: str, query: str = "") -> str:
    response = client.post(
        f"/admin/campaigns/{CAMPAIGN}/exports",
        data={"csrf": csrf, "kind": kind, "query": query},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 303, response.text
    location = str(response.headers["location"])
    assert location.startswith("/admin/exports/")
    return location


def finished(client: TestClient, location: str) -> Response:
    for _ in range(300):
        page = client.get(location)
        assert page.status_code == 200, page.text
        if 'http-equiv="refresh"' not in page.text:
            return page
        time.sleep(0.05)
    raise AssertionError("export did not finish")


def download(client: TestClient, csrf: str, kind: str) -> bytes:
    location = export(client, csrf, kind)
    page = finished(client, location)
    assert "已完成" in page.text, page.text
    response = client.get(f"{location}/download")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return response.content


@pytest.fixture
def applications(client: TestClient) -> dict[str, str]:
    """Two complete applications with formula-like and hostile values, one in progress, one never answered."""
    formula = complete(client, employer=FORMULAS[0], title_name="+1+2")
    hostile = complete(client)
    rewrite(client, hostile, name=HOSTILE, employer="{{ 7*7 }}</w:t>\x07", title_name="@SUM(1,2)")
    say(client, start(client), "工程技术", "是")  # in progress: listed, not in the summary
    start(client)  # opened, never answered: not listed, not exported
    make_user(client, "jiang", institution="cq-hgzy")
    return {"formula": formula, "hostile": hostile}


def test_xlsx_has_the_summary_columns_and_hostile_values_as_text(
    client: TestClient, applications: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    page = client.get(f"/admin/campaigns/{CAMPAIGN}?page=1&size=50")
    assert 'action="/admin/campaigns/cq_hgzy_2023/exports"' in page.text
    assert 'name="query" value="page=1&amp;size=50"' in page.text  # the page's selection goes along
    wb = load_workbook(io.BytesIO(download(client, csrf, "xlsx")))
    ws = wb.worksheets[0]
    assert ws["A1"].value == "专业技术人才参加高技能人才评价申报汇总表"
    assert [c.value for c in ws[3]] == COLUMNS
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert len(rows) == 2  # complete ones only: not the one in progress, nor the never-answered one
    first, second = rows
    assert first[:6] == [1, "张三", "男", "1990.01", FULL_ID, FORMULAS[0]]
    assert first[6] == "+1+2（中级）" and first[-1] == "已生成"
    assert second[1] == HOSTILE and second[5] == "{{ 7*7 }}</w:t>"  # the control character is dropped
    assert second[6] == "@SUM(1,2)（中级）"
    for cell in (ws["F4"], ws["G4"], ws["G5"]):  # formula-like: a string, quote-prefixed, never a formula
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    assert ws.print_title_rows == "$3:$3"  # the header row on every printed page
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)


def test_csv_has_a_bom_the_same_columns_and_quoted_formulas(
    client: TestClient, applications: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    data = download(client, csrf, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == COLUMNS
    assert len(rows) == 3
    assert rows[1][5] == "'" + FORMULAS[0] and rows[1][6] == "'+1+2（中级）"
    assert rows[2][1] == HOSTILE and rows[2][6] == "'@SUM(1,2)（中级）"
    assert rows[1][4] == FULL_ID and rows[1][-1] == "已生成"


@pytest.mark.parametrize("value", FORMULAS[1:])
def test_every_formula_start_is_neutralised_in_both_formats(value: str) -> None:
    from bot.documents.table import _csv_cell, _put, looks_like_formula

    assert looks_like_formula(value)
    assert _csv_cell(value).startswith("'")
    from openpyxl import Workbook

    cell = Workbook().active["A1"]
    _put(cell, value)
    assert cell.data_type == "s" and cell.quotePrefix and cell.value == value
    assert not looks_like_formula("张三") and _csv_cell("1-2") == "1-2" and _csv_cell(-5) == -5


def test_zip_has_a_safe_folder_per_application_with_its_documents(
    client: TestClient, applications: dict[str, str]
) -> None:
    rewrite(client, applications["formula"], name="../../etc/passwd")
    csrf = logged_in(client, "jiang")
    archive = zipfile.ZipFile(io.BytesIO(download(client, csrf, "zip")))
    names = archive.namelist()
    assert len(names) == len(set(names)) == 2
    folders = [n.split("/")[0] for n in names]
    assert folders == ["0001_.._.._etc_passwd", "0002__img src=x onerror=alert(1)_"]
    for name in names:
        assert name.count("/") == 1 and not name.startswith("/") and name.endswith(".docx")
        assert ".." not in name.split("/")[1:] and "\\" not in name
    texts = ["\n".join(p.text for p in Document(io.BytesIO(archive.read(n))).paragraphs) for n in names]
    cells = [
        " ".join(
            c.text for t in Document(io.BytesIO(archive.read(n))).tables for r in t.rows for c in r.cells
        )
        for n in names
    ]
    assert HOSTILE in cells[1] + texts[1] and FULL_ID in cells[0]


def test_downloads_are_audit_logged_without_personal_values(
    client: TestClient, applications: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    for kind in ("xlsx", "csv", "zip"):
        download(client, csrf, kind)
    rows = [r for r in audit_actions(client) if r[0].startswith("export_")]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (action, "jiang", CAMPAIGN) for _ in range(3) for action in ("export_started", "export_downloaded")
    ]
    downloaded = [r[3] for r in rows if r[0] == "export_downloaded"]
    assert all('"full_id":true' in d and '"count":2' in d for d in downloaded)
    assert all(f'"kind":"{k}"' in d for k, d in zip(("xlsx", "csv", "zip"), downloaded, strict=True))
    everything = repr(audit_actions(client))
    for value in ("张三", FULL_ID, "19900101", "HYPERLINK", "13800138000", "img src"):
        assert value not in everything


def test_another_user_or_institution_gets_404_like_a_missing_job(
    client: TestClient, applications: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    location = export(client, csrf, "xlsx")
    finished(client, location)
    missing = client.get("/admin/exports/no-such-job")
    assert missing.status_code == 404
    client.post("/admin/logout", data={"csrf": csrf}, headers={"Origin": ORIGIN})

    make_user(client, "colleague", institution="cq-hgzy")  # same institution, not the job's owner
    make_user(client, "other", institution="cq-zjzx")  # another institution
    for name in ("colleague", "other"):
        other_csrf = logged_in(client, name)
        for url in (location, f"{location}/download"):
            response = client.get(url)
            assert response.status_code == 404 and response.text == missing.text, (name, url)
        client.post("/admin/logout", data={"csrf": other_csrf}, headers={"Origin": ORIGIN})
    other_csrf = logged_in(client, "other")
    refused = client.post(
        f"/admin/campaigns/{CAMPAIGN}/exports",
        data={"csrf": other_csrf, "kind": "zip"},
        headers={"Origin": ORIGIN},
    )
    assert refused.status_code == 404
    assert [r for r in audit_actions(client) if r[1] == "other" and r[0].startswith("export")] == []


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"kind": "xlsx"}, {"Origin": ORIGIN}),  # no token
        ({"kind": "xlsx", "csrf": "forged"}, {"Origin": ORIGIN}),
        ({"kind": "xlsx", "csrf": None}, {"Origin": "http://evil.example"}),  # right token, other site
    ],
)
def test_starting_an_export_needs_the_token_and_our_origin(
    client: TestClient, applications: dict[str, str], data: dict[str, Any], headers: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    body = {k: (csrf if v is None else v) for k, v in data.items()}
    response = client.post(f"/admin/campaigns/{CAMPAIGN}/exports", data=body, headers=headers)
    assert response.status_code == 403
    assert not [r for r in audit_actions(client) if r[0].startswith("export")]
    assert not client.app.state.exports._jobs  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["", "docx", "../x", "<script>", "x" * 5000])
def test_bad_kinds_are_refused(client: TestClient, applications: dict[str, str], kind: str) -> None:
    csrf = logged_in(client, "jiang")
    response = client.post(
        f"/admin/campaigns/{CAMPAIGN}/exports", data={"csrf": csrf, "kind": kind}, headers={"Origin": ORIGIN}
    )
    assert response.status_code in (400, 403) and "<script>" not in response.text


def test_the_job_page_shows_progress_and_reloads_until_ready(
    client: TestClient, applications: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, reached = threading.Event(), threading.Event()
    original = ExportJobs.documents_of

    def slow(self: ExportJobs, app: Any, today: Any) -> Any:
        if app.id == applications["hostile"]:
            reached.set()
            assert gate.wait(10)
        return original(self, app, today)

    monkeypatch.setattr(ExportJobs, "documents_of", slow)
    csrf = logged_in(client, "jiang")
    location = export(client, csrf, "zip")
    assert reached.wait(10)
    page = client.get(location)
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "正在导出" in page.text and "已处理 1 / 3 份" in page.text  # 3 listed: 2 complete, 1 in progress
    assert '<progress max="3" value="1">' in page.text and "/download" not in page.text
    assert client.get(f"{location}/download").status_code == 404  # not ready yet
    gate.set()
    page = finished(client, location)
    assert "已完成" in page.text and f"{location}/download" in page.text and "refresh" not in page.text
    assert "2 份申报的申报材料" in page.text


def test_results_are_private_encrypted_and_deleted_after_the_window(
    client: TestClient, applications: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    location = export(client, csrf, "csv")
    finished(client, location)
    jobs: ExportJobs = client.app.state.exports  # type: ignore[attr-defined]
    (job,) = jobs._jobs.values()
    path = jobs.result(job)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert FULL_ID.encode() not in raw and "张三".encode() not in raw and b"\xef\xbb\xbf" not in raw
    assert "张三" not in (path.with_suffix(".json")).read_text(encoding="utf-8")
    start_time = time.time()
    jobs.clock = lambda: start_time + WINDOW_S + 1
    page = client.get(location)
    assert "已过期" in page.text and "/download" not in page.text
    assert not path.exists()
    assert client.get(f"{location}/download").status_code == 404


def test_a_restart_deletes_results_and_the_job_page_says_it_was_lost(
    settings: Settings, clock: Clock, client: TestClient, applications: dict[str, str]
) -> None:
    csrf = logged_in(client, "jiang")
    location = export(client, csrf, "xlsx")
    finished(client, location)
    folder = settings.data_dir / "exports"
    assert any(p.suffix == ".bin" for p in folder.iterdir())
    client.__exit__(None, None, None)  # the server stops …

    app = create_app(settings, clock=lambda: TODAY)  # … and starts again
    app.state.admin_clock = clock
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as again:
        assert not any(p.suffix == ".bin" for p in folder.iterdir())
        logged_in(again, "jiang")
        page = again.get(location)
        assert page.status_code == 200 and "已中断" in page.text and "服务器" in page.text
        assert again.get(f"{location}/download").status_code == 404


def test_query_of_keeps_the_first_value_and_bounds_everything() -> None:
    assert query_of("status=complete&status=x&q=%3Cscript%3E") == {"status": "complete", "q": "<script>"}
    assert query_of("a=" + "x" * 5000)["a"] == "x" * 200
    assert query_of("%ZZ&&=") == {"%ZZ": "", "": ""}


def test_lone_surrogates_and_control_characters_do_not_break_any_export(
    client: TestClient, applications: dict[str, str]
) -> None:
    rewrite(client, applications["hostile"], name="\ud800李\x00四\x1b", employer="\udfff=1+2\r\n")
    csrf = logged_in(client, "jiang")
    ws = load_workbook(io.BytesIO(download(client, csrf, "xlsx"))).worksheets[0]
    assert ws["B5"].value is not None and "李" in ws["B5"].value and "\x00" not in ws["B5"].value
    rows = list(csv.reader(io.StringIO(download(client, csrf, "csv").decode("utf-8-sig"), newline="")))
    assert len(rows) == 3 and "李" in rows[2][1]
    archive = zipfile.ZipFile(io.BytesIO(download(client, csrf, "zip")))
    folders = {n.split("/")[0] for n in archive.namelist()}
    assert len(folders) == 2 and "0001_张三" in folders  # both rendered: nothing skipped
    (second,) = folders - {"0001_张三"}
    assert second.startswith("0002_") and second.endswith("李四")
    assert all("\x00" not in n and "\x1b" not in n for n in archive.namelist())


def test_a_large_zip_is_rendered_by_worker_processes_with_the_same_result(
    client: TestClient, applications: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.dashboard import export_jobs

    csrf = logged_in(client, "jiang")
    in_thread = zipfile.ZipFile(io.BytesIO(download(client, csrf, "zip")))
    monkeypatch.setattr(export_jobs, "MIN_FOR_PROCESSES", 1)  # these three count as large
    monkeypatch.setattr(client.app.state.exports, "processes", 2)  # type: ignore[attr-defined]
    monkeypatch.setattr(ExportJobs, "documents_of", None)  # the thread path is not taken
    in_processes = zipfile.ZipFile(io.BytesIO(download(client, csrf, "zip")))
    assert (
        in_processes.namelist()
        == in_thread.namelist()
        == [
            "0001_张三/张三-专业技术人员参加高技能人才评价申报表.docx",
            f"0002_{HOSTILE.replace('<', '_').replace('>', '_')}/{HOSTILE.replace('<', '_').replace('>', '_')}"
            "-专业技术人员参加高技能人才评价申报表.docx",
        ]
    )
    for name in in_thread.namelist():
        document = Document(io.BytesIO(in_processes.read(name)))
        assert FULL_ID in " ".join(c.text for t in document.tables for r in t.rows for c in r.cells)


def test_an_application_whose_documents_fail_is_skipped_said_and_logged_without_values(
    client: TestClient,
    applications: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.dashboard import export_jobs

    original = export_jobs.render_application

    def broken(registry: Any, program: Any, campaign: Any, state: dict[str, Any], *rest: Any) -> Any:
        if state["answers"]["name"] == HOSTILE:
            raise ValueError(f"cannot render {state['answers']['name']} {FULL_ID}")
        return original(registry, program, campaign, state, *rest)

    monkeypatch.setattr(export_jobs, "render_application", broken)
    csrf = logged_in(client, "jiang")
    location = export(client, csrf, "zip")
    page = finished(client, location)
    assert "已完成" in page.text and "1 份申报的申报材料未能生成" in page.text
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{location}/download").content))
    assert [n.split("/")[0] for n in archive.namelist()] == ["0001_张三"]
    logged = caplog.text
    assert applications["hostile"] in logged and "ValueError at test_exports.py" in logged
    assert FULL_ID not in logged and "img" not in logged


def test_an_export_covers_the_filtered_list_and_its_search(client: TestClient) -> None:
    """The export takes the list page's filters and search along: only what the list shows (every page)."""
    zhang = complete(client)
    li = complete(client, name="李四")
    say(client, start(client), "工程技术", "是")  # in progress: listed, never in the summary
    make_user(client, "jiang", institution="cq-hgzy")
    csrf = logged_in(client, "jiang")
    searched = client.post(
        f"/admin/campaigns/{CAMPAIGN}/list", data={"csrf": csrf, "term": "李四"}, headers={"Origin": ORIGIN}
    )
    assert searched.status_code == 303
    query = str(searched.headers["location"]).split("?", 1)[1]
    assert "李四" not in query and query.startswith("q=")  # the term stays out of the address
    page = client.get(f"/admin/campaigns/{CAMPAIGN}?{query}")
    assert "导出筛选出的全部 1 份申报" in page.text
    rows = lambda q: [  # noqa: E731
        [c.value for c in row]
        for row in load_workbook(io.BytesIO(fetch(client, export(client, csrf, "xlsx", q))))
        .worksheets[0]
        .iter_rows(min_row=4)
    ]
    assert [r[1] for r in rows(query)] == ["李四"]
    assert [r[1] for r in rows("status=complete")] == ["张三", "李四"]
    assert rows("status=ineligible") == []
    # Another login's (or an expired) search handle is not honoured: refused, rather than export everything.
    refused = client.post(
        f"/admin/campaigns/{CAMPAIGN}/exports",
        data={"csrf": csrf, "kind": "xlsx", "query": "q=not-a-handle"},
        headers={"Origin": ORIGIN},
    )
    assert refused.status_code == 400 and "搜索已过期" in refused.text
    assert {zhang, li} <= set(applications_of(client))


def fetch(client: TestClient, location: str) -> bytes:
    assert "已完成" in finished(client, location).text
    response = client.get(f"{location}/download")
    assert response.status_code == 200, response.text
    return response.content


def applications_of(client: TestClient) -> list[str]:
    return [a.id for a in store_of(client).list_applications(CAMPAIGN)]
