"""The `api` fixture: an authorised client of the function-scoped sandbox."""

import pytest
from sandbox_helpers import API_KEY, Api


@pytest.fixture
def api(sandbox):
    """A client for tests not about the rate limit: the bucket never runs dry."""
    sandbox.configure(rate=10_000, burst=10_000)
    return Api(sandbox.url, API_KEY)
