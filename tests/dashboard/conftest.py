"""The coordinator pages over a real SQLite file, through Starlette's TestClient, with a clock the tests move
(sessions and login locks expire without sleeping) and a cheaper argon2 profile (each test logs in often)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from httpx import Response

from bot.app import create_app
from bot.dashboard import passwords, users
from bot.settings import ROOT, Settings
from storage import Store
from storage.accounts import Accounts, User

TODAY = dt.date(2023, 9, 20)
ORIGIN = "http://testserver"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2023, 9, 20, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(passwords, "_DUMMY", [])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None)


@pytest.fixture
def client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, clock=lambda: TODAY)
    app.state.admin_clock = clock
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as c:
        yield c


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.intake.store  # type: ignore[attr-defined]
    return store


def accounts(client: TestClient) -> Accounts:
    return Accounts(store_of(client), client.app.state.admin_clock)  # type: ignore[attr-defined]


def make_user(
    client: TestClient, name: str, role: str = "coordinator", institution: str | None = "cq-hgzy",
    password: str | None = PASSWORD,
) -> tuple[User, str]:  # fmt: skip
    registry = client.app.state.intake.registry  # type: ignore[attr-defined]
    user, one_time = users.add_user(
        accounts(client), name, role, institution, registry.institutions(), password
    )
    return user, one_time or password or ""


def csrf_of(response: Response) -> str:
    found = CSRF.search(response.text)
    assert found, response.text
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> Response:
    form = client.get("/admin/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/admin/login",
        data={"csrf": csrf_of(form), "username": name, "password": password},
        headers={"Origin": ORIGIN},
    )


def logged_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in; return the CSRF token of the new session (from the campaigns page)."""
    response = login(client, name, password)
    assert response.status_code == 303, response.text
    page = client.get("/admin/campaigns")
    assert page.status_code == 200, page.text
    return csrf_of(page)


def audit_actions(client: TestClient) -> list[tuple[Any, ...]]:
    store = store_of(client)
    return store.read(
        lambda: store.db.execute(
            "SELECT action, actor, target, detail FROM audit_log ORDER BY seq"
        ).fetchall()
    )
