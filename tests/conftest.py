"""Shared fixtures. Tests never touch the network: see test_no_network.py for the guard."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_9cb5e36296cee54c.txt"
CORPUS = SHARED / "corpus"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (maintainers' data) is not present")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
