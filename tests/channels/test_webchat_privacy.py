"""What an applicant's session may reveal, and to whom: the duplicate warning, resume codes paired with the ID
number's last four characters, tokens kept out of URLs and ended after inactivity, new resume codes, caching;
and client addresses and links behind a reverse proxy. Real SQLite, the app through Starlette's TestClient
or httpx's ASGI transport (no network)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.ratelimit import Limiter
from bot.settings import ROOT, Settings, SettingsError, public_url
from tests.aio import run
from tests.engine.transcript import COMPLETE

TODAY = dt.date(2023, 9, 20)
ID_NUMBER_AT = 11  # COMPLETE[11] is the flagship's ID number 50010119900101123X


def settings_for(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None, **extra)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path), clock=lambda: TODAY)) as c:
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start(client: TestClient, previous: str | None = None) -> dict[str, Any]:
    headers = auth(previous) if previous else {}
    response = client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def say(client: TestClient, token: str, *texts: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for text in texts:
        response = client.post("/api/session/messages", json={"text": text}, headers=auth(token))
        assert response.status_code == 200, response.text
        body = response.json()
    return body


def told(body: dict[str, Any]) -> str:
    """Everything the page shows after a turn: replies and findings."""
    texts = [r["text"] for r in body["replies"]] + [f["message"] for f in body["state"]["findings"]]
    return "\n".join(texts)


# -- 4. the ID-number oracle ---------------------------------------------------------------------------


def test_typing_someone_elses_id_number_reveals_nothing(client: TestClient) -> None:
    victim = start(client)["token"]
    say(client, victim, *COMPLETE[: ID_NUMBER_AT + 1])
    attacker = start(client)["token"]
    body = say(client, attacker, *COMPLETE[: ID_NUMBER_AT + 1])
    assert "七(三)" not in told(body) and "已有" not in told(body)
    reloaded = client.get("/api/session", headers=auth(attacker)).json()
    assert all(f["rule"] != "duplicate_id_title_level" for f in reloaded["state"]["findings"])
    assert "已有" not in str(reloaded["transcript"])


def test_the_applicants_own_earlier_application_is_named(client: TestClient) -> None:
    first = start(client)["token"]
    say(client, first, *COMPLETE[: ID_NUMBER_AT + 1])
    second = start(client, previous=first)["token"]  # the same browser starts again
    body = say(client, second, *COMPLETE[: ID_NUMBER_AT + 1])
    assert "七(三)" in told(body) and "已有 1 份相同职称级别（中级）的申报" in told(body)


def test_an_application_reached_with_its_own_resume_code_counts_as_own(client: TestClient) -> None:
    first = start(client)
    say(client, first["token"], *COMPLETE[: ID_NUMBER_AT + 1])
    elsewhere = start(client)["token"]  # another phone, which then resumes the first with code + last 4
    resumed = client.post(
        "/api/sessions/resume",
        json={"code": first["resume_code"], "id_last4": "123x"},
        headers=auth(elsewhere),
    )
    assert resumed.status_code == 200, resumed.text
    body = say(client, elsewhere, *COMPLETE[: ID_NUMBER_AT + 1])
    assert "七(三)" in told(body)


# -- 5. resume codes, tokens, caching ------------------------------------------------------------------


def test_resume_needs_the_id_numbers_last_four_once_there_is_one(client: TestClient) -> None:
    first = start(client)
    say(client, first["token"], *COMPLETE[: ID_NUMBER_AT + 1])
    code = first["resume_code"]
    missing = client.post("/api/sessions/resume", json={"code": code})
    wrong = client.post("/api/sessions/resume", json={"code": code, "id_last4": "1234"})
    unknown = client.post("/api/sessions/resume", json={"code": "ZZZZZZZZ", "id_last4": "1234"})
    for refused in (missing, wrong, unknown):  # one answer: no telling whether a code exists
        assert refused.status_code == 404 and refused.json()["need"] == "id_last4"
        assert refused.json()["error"] == missing.json()["error"] and "后四位" in refused.json()["error"]
        assert "123X" not in refused.text and "张三" not in refused.text
    right = client.post("/api/sessions/resume", json={"code": code.lower(), "id_last4": " 123x "})
    assert right.status_code == 200 and right.json()["token"] != first["token"]


def test_guessing_the_last_four_is_limited_per_application_from_any_address(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, resume_failures=3, forwarded_allow_ips="10.0.0.1")
    with TestClient(create_app(settings, clock=lambda: TODAY), client=("10.0.0.1", 1)) as c:
        first = start(c)
        say(c, first["token"], *COMPLETE[: ID_NUMBER_AT + 1])
        for n in range(3):  # three addresses, one guess each
            guess = c.post(
                "/api/sessions/resume",
                json={"code": first["resume_code"], "id_last4": f"000{n}"},
                headers={"X-Forwarded-For": f"1.1.1.{n}"},
            )
            assert guess.status_code == 404
        right = c.post(
            "/api/sessions/resume",
            json={"code": first["resume_code"], "id_last4": "123X"},
            headers={"X-Forwarded-For": "2.2.2.2"},
        )
        assert right.status_code == 404  # the code is locked for the window, even with the right answer


def test_a_new_resume_code_needs_the_last_four_once_an_id_is_given(client: TestClient) -> None:
    """Someone who got in with the code before the ID number was given must not lock the applicant out."""
    first = start(client)
    intruder = client.post("/api/sessions/resume", json={"code": first["resume_code"]}).json()["token"]
    say(client, first["token"], *COMPLETE[: ID_NUMBER_AT + 1])
    refused = client.post("/api/session/resume-code", headers=auth(intruder), json={})
    assert refused.status_code == 403 and refused.json()["need"] == "id_last4"
    assert client.get("/api/session", headers=auth(first["token"])).status_code == 200
    renewed = client.post("/api/session/resume-code", headers=auth(first["token"]), json={"id_last4": "123x"})
    assert renewed.status_code == 200
    assert client.get("/api/session", headers=auth(intruder)).status_code == 404


def test_a_new_resume_code_ends_every_other_session(client: TestClient) -> None:
    first = start(client)
    say(client, first["token"], "工程技术")
    other = client.post("/api/sessions/resume", json={"code": first["resume_code"]}).json()["token"]
    renewed = client.post("/api/session/resume-code", headers=auth(first["token"]))
    assert renewed.status_code == 200
    code = renewed.json()["resume_code"]
    assert code != first["resume_code"] and renewed.json()["sessions_ended"] == 1
    assert client.get("/api/session", headers=auth(other)).status_code == 404
    assert client.get("/api/session", headers=auth(first["token"])).json()["resume_code"] == code
    assert client.post("/api/sessions/resume", json={"code": first["resume_code"]}).status_code == 404
    assert client.post("/api/sessions/resume", json={"code": code}).status_code == 200


def test_a_new_resume_code_ends_the_download_links_given_out_before(client: TestClient) -> None:
    first = start(client)
    state = say(client, first["token"], *COMPLETE, "确认")["state"]
    url, checklist = state["documents"][0]["url"], state["checklist_url"]
    assert client.get(url).status_code == 200
    renewed = client.post("/api/session/resume-code", headers=auth(first["token"]), json={"id_last4": "123X"})
    assert renewed.status_code == 200
    for old in (url, checklist):
        response = client.get(old)
        assert response.status_code == 404 and "过期" in response.json()["error"]
    fresh = client.get("/api/session", headers=auth(first["token"])).json()["state"]
    assert client.get(fresh["documents"][0]["url"]).status_code == 200
    assert client.get(fresh["checklist_url"]).status_code == 200


def test_sessions_end_after_inactivity(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, session_idle_days=30), clock=lambda: TODAY)) as c:
        token = start(c)["token"]
        store = c.app.state.intake.store  # type: ignore[attr-defined]

        def last_used(when: str) -> None:
            store.write(lambda: store.db.execute("UPDATE session_tokens SET last_used_at = ?", [when]))

        last_used((dt.datetime.now(dt.UTC) - dt.timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert c.get("/api/session", headers=auth(token)).status_code == 200  # and that use renews it
        (renewed,) = store.db.execute("SELECT last_used_at FROM session_tokens").fetchone()
        assert renewed > (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        last_used((dt.datetime.now(dt.UTC) - dt.timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        response = c.get("/api/session", headers=auth(token))
        assert response.status_code == 404 and "续填码" in response.json()["error"]


def test_a_token_in_the_url_opens_nothing(client: TestClient) -> None:
    token = start(client)["token"]
    for url in (f"/api/s/{token}", f"/api/session?t={token}", f"/api/session?token={token}"):
        assert client.get(url).status_code in (401, 404), url


def test_api_responses_are_not_cached(client: TestClient) -> None:
    body = start(client)
    response = client.get("/api/session", headers=auth(body["token"]))
    assert response.headers["cache-control"] == "no-store"
    assert (
        client.post("/api/sessions/resume", json={"code": "ZZZZZZZZ"}).headers["cache-control"] == "no-store"
    )
    assert "no-store" not in client.get("/static/chat.css").headers.get("cache-control", "")


# -- 8. the resume-code limiter under parallel bursts ----------------------------------------------------


def test_parallel_wrong_codes_are_limited_exactly(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, resume_failures=10), clock=lambda: TODAY)

    statuses: list[int] = []

    async def burst() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                codes = [f"ZZZZZZ{a}{b}" for a in "23456" for b in "ABCDEF"]  # 30 codes at once
                responses = await asyncio.gather(
                    *(c.post("/api/sessions/resume", json={"code": code}) for code in codes)
                )
                statuses.extend(r.status_code for r in responses)

    run(burst)
    assert statuses.count(404) == 10 and statuses.count(429) == 20, statuses


def test_limiter_acquire_counts_before_the_work() -> None:
    limiter = Limiter(10, 600)
    passed: list[int] = []
    barrier = threading.Barrier(40)

    def attempt() -> None:
        barrier.wait()
        if limiter.acquire("peer") == 0:
            passed.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(passed) == 10
    limiter.refund("peer")
    assert limiter.acquire("peer") == 0 and limiter.acquire("peer") > 0


# -- 7 and 16. behind a reverse proxy ------------------------------------------------------------------


def test_limits_key_on_the_forwarded_client_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    proxied = settings_for(tmp_path, resume_failures=2, forwarded_allow_ips="10.0.0.1")
    app = create_app(proxied, clock=lambda: TODAY)
    with TestClient(app, client=("10.0.0.1", 40000)) as proxy:
        for _ in range(2):
            r = proxy.post(
                "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": "1.1.1.1"}
            )
            assert r.status_code == 404
        locked = proxy.post(
            "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": "1.1.1.1"}
        )
        assert locked.status_code == 429
        # another applicant behind the same proxy is not locked out
        other = proxy.post(
            "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": "2.2.2.2"}
        )
        assert other.status_code == 404
    with TestClient(app, client=("10.0.0.9", 40000)) as direct:  # not a trusted proxy: its header is ignored
        for forwarded in ("3.3.3.3", "4.4.4.4"):
            r = direct.post(
                "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": forwarded}
            )
            assert r.status_code == 404
        spoofed = direct.post(
            "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": "5.5.5.5"}
        )
        assert spoofed.status_code == 429


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(tmp_path, resume_failures=1), clock=lambda: TODAY)) as c:
        assert (
            c.post(
                "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": "1.1.1.1"}
            ).status_code
            == 404
        )
        again = c.post(
            "/api/sessions/resume", json={"code": "ZZZZZZZZ"}, headers={"X-Forwarded-For": "9.9.9.9"}
        )
        assert again.status_code == 429


def test_links_and_qr_codes_use_public_url(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, public_url="https://sb.example.cn/shenbao")
    with TestClient(create_app(settings, clock=lambda: TODAY), base_url="http://upstream:8000") as c:
        page = c.get("/", headers={"Host": "evil.example"}).text
        assert "https://sb.example.cn/shenbao/chat/cq_hgzy_2023" in page
        assert "upstream" not in page and "evil.example" not in page
        qr = c.get("/qr/cq_hgzy_2023.svg")
        assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg")


def test_without_public_url_a_trusted_proxy_gives_the_scheme(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, forwarded_allow_ips="10.0.0.1")
    app = create_app(settings, clock=lambda: TODAY)
    with TestClient(app, base_url="http://sb.example.cn", client=("10.0.0.1", 1)) as c:
        page = c.get("/", headers={"X-Forwarded-Proto": "https"}).text
        assert "https://sb.example.cn/chat/cq_hgzy_2023" in page
    with TestClient(app, base_url="http://sb.example.cn", client=("10.0.0.2", 1)) as c:
        page = c.get("/", headers={"X-Forwarded-Proto": "https"}).text
        assert "http://sb.example.cn/chat/cq_hgzy_2023" in page


@pytest.mark.parametrize(
    "bad", ["sb.example.cn", "ftp://x", "https://", "https://x/?a=1", "javascript:alert(1)"]
)
def test_a_public_url_that_cannot_work_is_refused(bad: str) -> None:
    with pytest.raises(SettingsError, match="SHENBAO_PUBLIC_URL"):
        public_url(bad)
    assert public_url("https://sb.example.cn/") == "https://sb.example.cn"
    with pytest.raises(SettingsError):
        Settings.from_env({"SHENBAO_PUBLIC_URL": bad})
    assert replace(Settings.from_env({}), public_url=None).public_url is None


def test_a_new_resume_code_also_ends_telegram_chats_on_the_application(client: TestClient) -> None:
    first = start(client)
    store = client.app.state.intake.store  # type: ignore[attr-defined]
    app_id = store.app_for_token(first["token"])
    store.write(
        lambda: store.db.execute(
            "INSERT INTO telegram_chats (bot_id, chat_id, campaign_id, app_id, active_seq, updated_at) "
            "VALUES (1, 777, 'cq_hgzy_2023', ?, 1, '2026-01-01T00:00:00Z')",
            [app_id],
        )
    )
    assert client.post("/api/session/resume-code", headers=auth(first["token"])).status_code == 200
    assert store.db.execute("SELECT count(*) FROM telegram_chats").fetchone()[0] == 0
