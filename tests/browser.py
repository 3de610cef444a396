"""Debian's Chromium for the page tests, driven by Playwright (whose own browser download does
not work offline): ``make test`` installs the package when it is missing."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium reaches out at start (updates, sync).
FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def launch(playwright):
    """A headless Chromium from Debian's package."""
    assert Path(CHROMIUM).exists(), "the page tests need Debian's chromium: run `make test`"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS))


@contextmanager
def serving(app):
    """``app`` served by uvicorn on a free port of 127.0.0.1, in a thread; yields its URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
