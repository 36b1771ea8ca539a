"""The monitoring book (a hand-built month of reports) for the warning tests."""

from tests.monitoring.conftest import book  # noqa: F401
