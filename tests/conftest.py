"""Shared fixtures: the reference configs, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.config import load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


@pytest.fixture(scope="session")
def baseline():
    return load_config(CONFIGS / "baseline.yaml")


@pytest.fixture(scope="session")
def configs_dir() -> Path:
    return CONFIGS
