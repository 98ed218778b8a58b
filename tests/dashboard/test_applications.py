"""The campaigns and applications a coordinator sees: their institution's only (anything else is a 404), real
applications only (opened and never answered ones are left out), names as text, ID numbers masked."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.dashboard.conftest import logged_in, make_user
from tests.engine.transcript import COMPLETE

HOSTILE = "<img src=x onerror=alert(1)>"
FULL_ID = "50010119900101123X"


def start(client: TestClient, campaign: str = "cq_hgzy_2023") -> str:
    response = client.post("/api/sessions", json={"campaign": campaign})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def say(client: TestClient, token: str, *texts: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for text in texts:
        response = client.post(
            "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": text}
        )
        assert response.status_code == 200, response.text
        body = response.json()
    return body


def app_ids(html: str) -> list[str]:
    return re.findall(r'href="/admin/applications/([0-9a-f]{32})"', html)


def test_coordinator_sees_their_institutions_applications(client: TestClient) -> None:
    full = start(client)
    assert say(client, full, *COMPLETE, "确认")["state"]["status"] == "complete"
    partial = start(client)
    say(client, partial, "工程技术", "是")
    start(client)  # opened, never answered
    helped = start(client)
    say(client, helped, "/help")  # only asked for help
    other = start(client, "cq_yzj8_filing_2022")
    say(client, other, "是")

    make_user(client, "jiang", institution="cq-hgzy")
    logged_in(client, "jiang")
    campaigns = client.get("/admin/campaigns").text
    assert "cq_hgzy_2023" in campaigns and "cq_yzj8_filing_2022" not in campaigns
    assert re.search(r'class="count">2<', campaigns)
    page = client.get("/admin/campaigns/cq_hgzy_2023")
    assert page.status_code == 200
    assert len(app_ids(page.text)) == 2 and "共 <strong>2</strong> 份申报" in page.text
    assert "张三" in page.text and "500101********123X" in page.text
    assert FULL_ID not in page.text and "19900101" not in page.text
    assert "填写中" in page.text and "已生成" in page.text and "二级/技师" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_other_institutions_campaigns_and_applications_are_404(client: TestClient) -> None:
    mine = start(client, "cq_yzj8_filing_2022")
    say(client, mine, "是")
    theirs = start(client)
    say(client, theirs, "工程技术")
    make_user(client, "zhongxin", institution="cq-zjzx")
    logged_in(client, "zhongxin")
    assert "cq_hgzy_2023" not in client.get("/admin/campaigns").text
    listed = app_ids(client.get("/admin/campaigns/cq_yzj8_filing_2022").text)
    assert len(listed) == 1
    foreign_campaign = client.get("/admin/campaigns/cq_hgzy_2023")
    assert foreign_campaign.status_code == 404
    unknown_campaign = client.get("/admin/campaigns/no_such_campaign")
    assert unknown_campaign.status_code == 404
    assert foreign_campaign.text == unknown_campaign.text  # the same answer: nothing learned
    assert client.get(f"/admin/applications/{listed[0]}").status_code == 200
    # the hgzy application's id, as an admin sees it
    make_user(client, "boss", role="admin", institution=None)
    admin = TestClient(client.app, base_url="http://testserver", follow_redirects=False)
    logged_in(admin, "boss")
    hgzy_ids = app_ids(admin.get("/admin/campaigns/cq_hgzy_2023").text)
    assert len(hgzy_ids) == 1
    foreign_app = client.get(f"/admin/applications/{hgzy_ids[0]}")
    assert foreign_app.status_code == 404
    assert client.get("/admin/applications/" + "0" * 32).text == foreign_app.text
    assert admin.get(f"/admin/applications/{hgzy_ids[0]}").status_code == 200
    assert admin.get(f"/admin/applications/{listed[0]}").status_code == 200


def test_admin_sees_every_campaign(client: TestClient) -> None:
    make_user(client, "boss", role="admin", institution=None)
    logged_in(client, "boss")
    text = client.get("/admin/campaigns").text
    for campaign in ("cq_hgzy_2023", "cq_yzj8_filing_2022", "hs_guantong_2020", "cq_gq_2021"):
        assert f'href="/admin/campaigns/{campaign}"' in text


def test_hostile_name_is_shown_as_text(client: TestClient) -> None:
    token = start(client, "cq_yzj8_filing_2022")
    body = say(client, token, "是", "1", "1", HOSTILE)
    assert body["replies"], body
    make_user(client, "zhongxin", institution="cq-zjzx")
    logged_in(client, "zhongxin")
    page = client.get("/admin/campaigns/cq_yzj8_filing_2022")
    assert HOSTILE not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    (app_id,) = app_ids(page.text)
    detail = client.get(f"/admin/applications/{app_id}")
    assert HOSTILE not in detail.text and "&lt;img src=x onerror=alert(1)&gt;" in detail.text


def test_pages_of_applications(client: TestClient) -> None:
    for _ in range(12):
        say(client, start(client), "工程技术")
    make_user(client, "jiang")
    logged_in(client, "jiang")
    first = client.get("/admin/campaigns/cq_hgzy_2023?size=10")
    second = client.get("/admin/campaigns/cq_hgzy_2023?size=10&page=2")
    assert len(app_ids(first.text)) == 10 and len(app_ids(second.text)) == 2
    assert not set(app_ids(first.text)) & set(app_ids(second.text))
    assert "第 1 / 2 页" in first.text and "下一页" in first.text
    assert client.get("/admin/campaigns/cq_hgzy_2023?size=abc&page=-3").status_code == 200


def test_newest_activity_first(client: TestClient) -> None:
    from tests.dashboard.conftest import store_of

    older, newer = start(client), start(client)
    say(client, older, "工程技术")
    say(client, newer, "工程技术")
    store = store_of(client)
    ids = [r[0] for r in store.read(lambda: store.db.execute("SELECT id FROM applications").fetchall())]
    stamps = {"2023-09-20T01:00:00Z": ids[0], "2023-09-20T02:00:00Z": ids[1]}
    for stamp, app_id in stamps.items():
        store.write(
            lambda s=stamp, a=app_id: store.db.execute(
                "UPDATE applications SET updated_at = ? WHERE id = ?", [s, a]
            )
        )
    make_user(client, "jiang")
    logged_in(client, "jiang")
    text = client.get("/admin/campaigns/cq_hgzy_2023").text
    assert app_ids(text) == [ids[1], ids[0]]
    assert "2023-09-20 10:00" in text  # 02:00 UTC shown as Beijing time
