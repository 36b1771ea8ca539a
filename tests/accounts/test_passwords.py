"""Passwords are stored with Argon2 in production (tests/settings.py swaps in MD5 for speed)."""

from __future__ import annotations

from django.contrib.auth.hashers import check_password
from django.test import override_settings

import exportwatch.settings as production
from tests.conftest import World

ARGON2 = "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_the_production_settings_hash_new_passwords_with_argon2() -> None:
    assert production.PASSWORD_HASHERS[0] == ARGON2


def test_the_production_settings_ask_for_passwords_of_at_least_ten_characters() -> None:
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in production.AUTH_PASSWORD_VALIDATORS]
    assert 10 in lengths


@override_settings(PASSWORD_HASHERS=[ARGON2])
def test_set_password_stores_an_argon2_hash_that_checks(world: World) -> None:
    user = world.reporter
    user.set_password("a-long-passphrase-1")
    user.save()
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    assert "a-long-passphrase-1" not in user.password
    assert user.check_password("a-long-passphrase-1")
    assert not check_password("wrong-passphrase", user.password)


def test_an_older_hash_is_upgraded_to_argon2_at_the_next_login(world: World) -> None:
    hasher = "django.contrib.auth.hashers.MD5PasswordHasher"
    user = world.reporter
    with override_settings(PASSWORD_HASHERS=[hasher]):
        user.set_password("a-long-passphrase-1")
        user.save()
    assert not user.password.startswith("argon2")
    with override_settings(PASSWORD_HASHERS=[ARGON2, hasher]):
        assert user.check_password("a-long-passphrase-1")
    user.refresh_from_db()
    assert user.password.startswith("argon2")
