"""One typed settings object, read from SHENBAO_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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
            telegram_token=env.get("SHENBAO_TELEGRAM_TOKEN") or None,
            telegram_mode=env.get("SHENBAO_TELEGRAM_MODE", "polling").strip().lower(),
            telegram_secret=env.get("SHENBAO_TELEGRAM_SECRET") or None,
            telegram_webhook_url=env.get("SHENBAO_TELEGRAM_WEBHOOK_URL") or None,
            telegram_api_url=env.get("SHENBAO_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        )
