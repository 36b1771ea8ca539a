"""Reference data once per module, as in tests/api (see there why)."""

from tests.api.conftest import ref, reference_for_module

__all__ = ["ref", "reference_for_module"]
