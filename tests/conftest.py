"""Shared fixtures: a fresh Lexware sandbox on a free port for every test that asks."""

import pytest

from lexware_sandbox import SandboxServer


@pytest.fixture
def sandbox():
    with SandboxServer() as server:
        yield server
