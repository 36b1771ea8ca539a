"""The reference data is loaded once per session here too (see tests/common/conftest.py)."""

from tests.common.conftest import _reference_loaded_once, ref  # noqa: F401
