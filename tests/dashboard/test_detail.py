"""One application's page: answers in form order, findings with their clauses, duplicates the applicant was
not told about, and the documents (download audit-logged; another institution's: 404)."""

from __future__ import annotations

import io

from docx import Document
from fastapi.testclient import TestClient

from tests.dashboard.conftest import ORIGIN, audit_actions, logged_in, make_user
from tests.dashboard.test_applications import app_ids, say, start
from tests.engine.transcript import COMPLETE


def only_app(client: TestClient, campaign: str = "cq_hgzy_2023") -> str:
    (app_id,) = app_ids(client.get(f"/admin/campaigns/{campaign}").text)
    return app_id


def test_answers_in_form_order_and_the_document(client: TestClient) -> None:
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    page = client.get(f"/admin/applications/{app_id}")
    assert page.status_code == 200
    text = page.text
    order = ["职称系列", "现专业技术职称等级", "姓名", "证件号码", "所在单位", "学历"]
    positions = [text.find(label) for label in order]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "500101********123X" in text and "50010119900101123X" not in text
    assert "综合评审" in text  # an outcome
    link = f"/admin/applications/{app_id}/documents/"
    assert link in text
    doc_id = text.split(link, 1)[1].split('"', 1)[0]
    download = client.get(link + doc_id)
    assert download.status_code == 200 and download.headers["cache-control"] == "no-store"
    assert "attachment" in download.headers["content-disposition"]
    body = "\n".join(p.text for p in Document(io.BytesIO(download.content)).paragraphs)
    tables = " ".join(
        c.text for t in Document(io.BytesIO(download.content)).tables for r in t.rows for c in r.cells
    )
    assert "张三" in body + tables
    actions = audit_actions(client)
    assert actions[-1][:3] == ("document_downloaded", "jiang", app_id)
    assert "50010119900101123X" not in repr(actions) and "张三" not in repr(actions)
    assert client.get(link + "no_such_document").status_code == 404


def test_findings_name_their_clause(client: TestClient) -> None:
    body = say(client, start(client), "工程技术", "是", "是", "员级", "结束")
    assert body["state"]["status"] == "ineligible", body["state"]["status"]
    make_user(client, "jiang")
    logged_in(client, "jiang")
    page = client.get(f"/admin/applications/{only_app(client)}").text
    assert "不符合条件" in page and "员级职称没有对应的贯通评价等级" in page
    assert "依据：渝职鉴发〔2022〕8号 二(一)" in page
    assert "/documents/" not in page  # nothing was generated


def test_duplicates_the_applicant_was_not_told_about(client: TestClient) -> None:
    for _ in range(2):  # two browsers, the same ID number and title level
        say(client, start(client), *COMPLETE[:13])
    make_user(client, "jiang")
    logged_in(client, "jiang")
    ids = app_ids(client.get("/admin/campaigns/cq_hgzy_2023").text)
    assert len(ids) == 2
    for mine, other in (ids, ids[::-1]):
        page = client.get(f"/admin/applications/{mine}").text
        assert "重复申报" in page and "8号 七(三)" in page and "同一身份证号码已有 1 份" in page
        assert f'href="/admin/applications/{other}"' in page


def test_another_institutions_document_is_404(client: TestClient) -> None:
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "boss", role="admin", institution=None)
    admin = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    logged_in(admin, "boss")
    app_id = only_app(admin)
    page = admin.get(f"/admin/applications/{app_id}").text
    doc_id = page.split(f"/admin/applications/{app_id}/documents/", 1)[1].split('"', 1)[0]
    make_user(client, "zhongxin", institution="cq-zjzx")
    logged_in(client, "zhongxin")
    refused = client.get(f"/admin/applications/{app_id}/documents/{doc_id}")
    assert refused.status_code == 404 and "attachment" not in refused.headers.get("content-disposition", "")
    assert not any(a == "document_downloaded" for a, *_ in audit_actions(client))


def test_unfinished_application_has_no_document(client: TestClient) -> None:
    say(client, start(client), "工程技术")
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    assert client.get(f"/admin/applications/{app_id}/documents/application").status_code == 404


def photo_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def test_photo_checklist_and_timeline(client: TestClient) -> None:
    token = start(client)
    say(client, token, *COMPLETE[:-1])
    upload = client.put(
        "/api/session/upload",
        content=photo_jpeg(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg", "X-Filename": "me.jpg"},
    )
    assert upload.status_code == 200, upload.text
    assert say(client, token, "确认")["state"]["status"] == "complete"
    other = start(client)  # a second application with a photo of its own
    say(client, other, *COMPLETE[:-1])
    client.put(
        "/api/session/upload",
        content=photo_jpeg(),
        headers={"Authorization": f"Bearer {other}", "Content-Type": "image/jpeg", "X-Filename": "x.jpg"},
    )
    make_user(client, "jiang")
    logged_in(client, "jiang")
    ids = app_ids(client.get("/admin/campaigns/cq_hgzy_2023").text)
    pages = {app_id: client.get(f"/admin/applications/{app_id}").text for app_id in ids}
    done_id = next(i for i, text in pages.items() if "已生成" in text)
    other_id = next(i for i in ids if i != done_id)
    text = pages[done_id]
    marker = f'<img src="/admin/applications/{done_id}/files/'
    assert marker in text
    ref = text.split(marker, 1)[1].split('"', 1)[0]
    image = client.get(f"/admin/applications/{done_id}/files/{ref}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8" and image.headers["cache-control"] == "no-store"
    assert audit_actions(client)[-1][:3] == ("file_viewed", "jiang", done_id)
    # a file is reached only through the application whose answers name it
    assert client.get(f"/admin/applications/{other_id}/files/{ref}").status_code == 404
    assert client.get(f"/admin/applications/{done_id}/files/{'0' * 32}").status_code == 404
    # the checklist the applicant received, and a timeline without what was typed
    assert "申报人收到的提交清单" in text and "顺丰" in text
    timeline = text.split('class="timeline"', 1)[1].split("</ol>", 1)[0]
    assert "开始填写" in timeline and "上传文件" in timeline and "回答" in timeline
    assert "张三" not in timeline and "123X" not in timeline and "工程技术" not in timeline
    # another institution: 404 for the photo too
    make_user(client, "zhongxin", institution="cq-zjzx")
    stranger = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    logged_in(stranger, "zhongxin")
    assert stranger.get(f"/admin/applications/{done_id}/files/{ref}").status_code == 404
