"""`shenbao serve`: one uvicorn process for the whole app; SIGTERM/SIGINT finish in-flight requests first."""

from __future__ import annotations

import uvicorn

from bot.app import create_app
from bot.settings import Settings


def serve(settings: Settings, host: str, port: int) -> int:
    print(
        f"shenbao 申报：http://{host}:{port}/ （数据目录 {settings.data_dir.resolve()}；Ctrl+C 停止）",
        flush=True,
    )
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        timeout_graceful_shutdown=10,
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
    return 0
