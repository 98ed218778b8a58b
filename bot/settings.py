"""One typed settings object, read from SHENBAO_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    forms_dir: Path
    templates_dir: Path
    key_file: Path | None
    workers: int = 8  # threads running blocking work (engine turns, storage) at once; renders have their own
    sessions_per_minute: int = 120  # new web applications per client address and minute
    resume_failures: int = 10  # wrong resume codes per client address in 10 minutes
    session_idle_days: float = 30  # a browser's session ends after this many days unused
    public_url: str | None = None  # https://host/prefix of every absolute link and QR code
    forwarded_allow_ips: str | None = None  # proxies whose X-Forwarded-For/-Proto are believed
    admin_idle_minutes: float = 30  # a coordinator's session (/admin) ends after this long unused
    admin_session_hours: float = 12  # ... and this long after login in any case
    demo: bool = False  # offer the demonstration campaigns (forms/campaigns/demo_*.yaml, `demo: true`)
    # Telegram (bot/channels/telegram/): off without a token
    telegram_token: str | None = None
    telegram_mode: str = "polling"  # polling (`shenbao telegram`) | webhook (mounted in `shenbao serve`)
    telegram_secret: str | None = None  # X-Telegram-Bot-Api-Secret-Token the webhook requires
    telegram_webhook_url: str | None = None  # public https URL of /telegram/webhook, registered at start
    telegram_api_url: str = "https://api.telegram.org"  # Bot API server (a local one, or a test double)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data = Path(env.get("SHENBAO_DATA_DIR", "data"))
        key = env.get("SHENBAO_KEY_FILE")
        return cls(
            data_dir=data,
            forms_dir=Path(env.get("SHENBAO_FORMS_DIR", str(ROOT / "forms"))),
            templates_dir=Path(env.get("SHENBAO_TEMPLATES_DIR", str(ROOT / "doc_templates"))),
            key_file=Path(key) if key else None,
            workers=max(1, int(env.get("SHENBAO_WORKERS", "8"))),
            sessions_per_minute=max(1, int(env.get("SHENBAO_SESSIONS_PER_MINUTE", "120"))),
            resume_failures=max(1, int(env.get("SHENBAO_RESUME_FAILURES", "10"))),
            session_idle_days=max(0.001, float(env.get("SHENBAO_SESSION_IDLE_DAYS", "30"))),
            public_url=public_url(env.get("SHENBAO_PUBLIC_URL")),
            forwarded_allow_ips=env.get("SHENBAO_FORWARDED_ALLOW_IPS", "").strip() or None,
            admin_idle_minutes=max(1.0, float(env.get("SHENBAO_ADMIN_IDLE_MINUTES", "30"))),
            admin_session_hours=max(0.1, float(env.get("SHENBAO_ADMIN_SESSION_HOURS", "12"))),
            demo=env.get("SHENBAO_DEMO", "0").strip().lower() in ("1", "true", "yes", "on"),
            telegram_token=env.get("SHENBAO_TELEGRAM_TOKEN") or None,
            telegram_mode=env.get("SHENBAO_TELEGRAM_MODE", "polling").strip().lower(),
            telegram_secret=env.get("SHENBAO_TELEGRAM_SECRET") or None,
            telegram_webhook_url=env.get("SHENBAO_TELEGRAM_WEBHOOK_URL") or None,
            telegram_api_url=env.get("SHENBAO_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        )


class SettingsError(ValueError):
    """A setting has a value that cannot work; the message says which and what to write."""


def public_url(value: str | None) -> str | None:
    """`SHENBAO_PUBLIC_URL` without a trailing slash; only http(s) with a host, no query or fragment."""
    if not value or not value.strip():
        return None
    parsed = urlsplit(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        raise SettingsError(
            f"SHENBAO_PUBLIC_URL 应为 https://域名[/路径] 的形式，例如 https://sb.example.cn：{value!r}"
        )
    return value.strip().rstrip("/")
