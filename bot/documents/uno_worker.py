"""A warm LibreOffice for PDF conversions: run by the system Python that has LibreOffice's `uno` module
(Debian: /usr/bin/python3 with python3-uno), never imported by the server (whose Python has no `uno`).

    /usr/bin/python3 uno_worker.py SOFFICE PROFILE_URI PIPE_NAME

It starts one headless LibreOffice (`SOFFICE`, private profile `PROFILE_URI`, accepting UNO connections
only on the named local pipe `PIPE_NAME`, no TCP port), connects to it, prints `ready <pid>` and then
answers one request per line on stdin, in order:

    {"in": "/private/dir/document.docx", "out": "/private/dir/document.pdf"}   ->  ok | error <kind>
    quit                                                                       ->  (exits)

Files, not bytes, cross the pipe: both paths are in the server's private temporary directory. When
LibreOffice dies or stops answering, this script answers `error dead` (or nothing: the server kills the
whole process group after its timeout) and the server starts a new one. Nothing of a document's content is
ever printed. Standard library and `uno` only (it runs outside the project's virtualenv)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import uno  # the system Python's python3-uno (absent from the server's Python)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

CONNECT_S = 60.0


def prop(name: str, value: object) -> PropertyValue:
    found = PropertyValue()
    found.Name, found.Value = name, value
    return found


def start(soffice: str, profile: str, pipe: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--invisible",
            "--nologo",
            "--nodefault",
            "--norestore",
            "--nolockcheck",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def connect(office: subprocess.Popen[bytes], pipe: str) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_S
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if office.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def convert(desktop: object, source: str, target: str) -> object:
    """Load `source`, store it as PDF at `target`; returns the document, still open (closed after the
    answer is sent: closing costs 40–200 ms that nobody needs to wait for)."""
    load = (
        prop("Hidden", True),
        prop("ReadOnly", True),
        prop("UpdateDocMode", 0),
        prop("MacroExecutionMode", 0),
    )
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, load)  # type: ignore[attr-defined]
    if doc is None:
        raise ValueError("not loaded")
    try:
        calc = doc.supportsService("com.sun.star.sheet.SpreadsheetDocument")
        name = "calc_pdf_Export" if calc else "writer_pdf_Export"
        doc.storeToURL(uno.systemPathToFileUrl(target), (prop("FilterName", name),))
    except BaseException:
        doc.close(True)
        raise
    return doc


def reply(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def serve(office: subprocess.Popen[bytes], pipe: str) -> int:
    try:
        desktop = connect(office, pipe)
    except Exception as exc:  # LibreOffice did not come up
        reply(f"error start {type(exc).__name__}")
        return 1
    reply(f"ready {office.pid}")
    for line in sys.stdin:
        line = line.strip()
        if line == "quit" or not line:
            break
        try:
            request = json.loads(line)
            doc = convert(desktop, request["in"], request["out"])
        except Exception as exc:
            dead = office.poll() is not None or "Disposed" in type(exc).__name__
            reply("error dead" if dead else f"error {type(exc).__name__}")
            if dead:
                return 1
            continue
        reply("ok")
        with contextlib.suppress(Exception):  # LibreOffice died meanwhile: the next request finds out
            doc.close(True)  # type: ignore[attr-defined]
    with contextlib.suppress(Exception):
        desktop.terminate()  # type: ignore[attr-defined]
    with contextlib.suppress(subprocess.TimeoutExpired):
        office.wait(timeout=10)
    return 0


def main() -> int:
    """This script leads its own process group (the server starts it so); whatever way it ends — quit,
    end of input or a broken pipe (the server is gone), an error, SIGTERM — the whole group goes with it,
    so no LibreOffice outlives it. (No PR_SET_PDEATHSIG: it follows the server's thread that started this
    script, and the server's worker threads come and go.)"""
    soffice, profile, pipe = sys.argv[1:4]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    office = start(soffice, profile, pipe)
    code = 1
    try:
        code = serve(office, pipe)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)  # LibreOffice (soffice, oosplash, soffice.bin) and this script
        office.kill()
    return code


if __name__ == "__main__":
    os.umask(0o077)
    sys.exit(main())
