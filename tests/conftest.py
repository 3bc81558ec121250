"""Shared fixtures for the tests without the ORM.

`sandbox`: a fresh Lexware sandbox on a free port for every test that asks.
"""

import pytest

from lexware_sandbox import SandboxServer


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """Overrides pytest-odoo's session fixture: nothing under tests/ needs a registry,
    and loading one without --odoo-database fails before the first test."""
    yield


@pytest.fixture
def sandbox():
    with SandboxServer() as server:
        yield server
