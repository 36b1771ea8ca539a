"""Reference data once per module, as in tests/api (see there why); messages checked in English here.

The command line speaks the default language (Chinese); test_cli_language.py checks that. The message texts
asserted in this folder are the English sources, so each test runs with English active.
"""

from collections.abc import Iterator

import pytest
from django.utils import translation

from tests.api.conftest import ref, reference_for_module

__all__ = ["english", "ref", "reference_for_module"]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield
