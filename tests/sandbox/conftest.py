"""The `api` fixture: an authorised client of the function-scoped sandbox; `receiver`, a
callback URL for webhook deliveries, and `hooked`, the sandbox delivering to it."""

import pytest
from sandbox_helpers import API_KEY, Api
from webhook_receiver import Receiver


@pytest.fixture
def api(sandbox):
    """A client for tests not about the rate limit: the bucket never runs dry."""
    sandbox.configure(rate=10_000, burst=10_000)
    return Api(sandbox.url, API_KEY)


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def hooked(sandbox):
    """The sandbox delivering to plain http, retrying after milliseconds."""
    sandbox.configure(webhook_http_allowed=True, webhook_retry_pause_s=0.02, webhook_timeout_s=2)
    return sandbox
