"""Debian's Chromium for the page tests, driven by Playwright (whose own browser download does
not work offline): ``make test`` installs the package when it is missing."""

from __future__ import annotations

import shutil
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
