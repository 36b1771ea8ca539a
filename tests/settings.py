"""Settings for the test suite: the real settings, with a fixed test key, a fast hasher and the demo clock."""

import datetime as dt
import os
import tempfile

os.environ.setdefault("EXPORTWATCH_SECRET_KEY", "test-only-secret-key-not-for-production-000000000000")
os.environ.setdefault("EXPORTWATCH_VAR", tempfile.mkdtemp(prefix="exportwatch-test-"))
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"

from exportwatch.settings import *  # noqa: F403

# Argon2 is the production hasher (tested in tests/accounts/test_passwords.py); MD5 keeps fixtures fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]
EXPORTWATCH_TODAY = dt.date(2020, 4, 15)
LANGUAGE_CODE = "zh-hans"
# The worker's stress-book step looks once per test process, not again: its tests set their own interval.
EXPORTWATCH_STRESS_WARM_SECONDS = 10**9
