"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.stack import Webhook


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    """Alertmanager's receiver for this test."""
    hook = Webhook()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()
