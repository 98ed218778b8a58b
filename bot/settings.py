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
        )
