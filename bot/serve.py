"""`shenbao serve`: one uvicorn process for the whole app; SIGTERM/SIGINT finish in-flight requests first.

Every answer is committed before its reply is sent, so stopping at any moment loses nothing that an
applicant has seen acknowledged. The access log is off: download links carry (short-lived) tickets."""

from __future__ import annotations

import signal

import uvicorn

from bot.app import create_app
from bot.documents import page_images
from bot.settings import Settings
from storage import Store


def serve(settings: Settings, host: str, port: int) -> int:
    # Check the database and key file before uvicorn starts: a StartupError reaches the command line as a
    # message and an exit code, not as a failed lifespan's traceback.
    Store(settings.data_dir, settings.key_file).close()
    print(
        f"shenbao 申报：http://{host}:{port}/ （数据目录 {settings.data_dir.resolve()}；Ctrl+C 停止）",
        flush=True,
    )
    if settings.public_url is None:
        print(
            "对外地址：未设置 SHENBAO_PUBLIC_URL，链接和二维码按每个请求的地址生成；"
            "在反向代理后或对外服务时请设置它（见 README“Behind a reverse proxy”）。",
            flush=True,
        )
    # PDFs: a warm LibreOffice started now in the background (the log says warm, cold or none), stopped
    # when the server stops (bot/documents/page_images.py).
    print(page_images.CONVERTER.mode(), flush=True)
    page_images.CONVERTER.start()
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=False,  # the app applies SHENBAO_FORWARDED_ALLOW_IPS itself (bot/app.py)
    )
    # uvicorn re-raises the stop signal once it has shut down; after a graceful stop it is handled here.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        uvicorn.Server(config).run()
    finally:
        page_images.CONVERTER.close()
    print("已停止。", flush=True)
    return 0
