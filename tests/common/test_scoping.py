"""Who sees which enterprise: the scoped selectors, persona by persona (DESIGN.md §2)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from exportwatch.common.scoping import enterprise_get, enterprises_reportable, enterprises_visible
from exportwatch.directory.models import Enterprise
from tests.conftest import World


def names(qs: object) -> set[str]:
    return {e.uscc for e in qs}  # type: ignore[attr-defined]


def usccs(*enterprises: object) -> set[str]:
    return {e.uscc for e in enterprises}  # type: ignore[attr-defined]


@pytest.fixture
def w(world: World) -> World:
    return world


VISIBLE = {
    "reporter": ("ent_a",),
    "other_reporter": ("ent_c",),
    "town_officer": ("ent_a", "ent_b"),
    "analyst": ("ent_a", "ent_b", "ent_c"),
    "leader": ("ent_a", "ent_b", "ent_c"),
    "handler": (),
    "outsider": ("ent_far",),
    "admin": ("ent_a", "ent_b", "ent_c", "ent_far"),
}

REPORTABLE = {
    "reporter": ("ent_a",),
    "other_reporter": ("ent_c",),
    "town_officer": ("ent_a", "ent_b"),
    "analyst": ("ent_a", "ent_b", "ent_c"),
    "leader": (),
    "handler": (),
    "outsider": ("ent_far",),
    "admin": ("ent_a", "ent_b", "ent_c", "ent_far"),
}

ALL = ("ent_a", "ent_b", "ent_c", "ent_far")


@pytest.mark.parametrize(("persona", "expected"), VISIBLE.items())
def test_each_persona_sees_exactly_its_enterprises(w: World, persona: str, expected: tuple[str, ...]) -> None:
    user = getattr(w, persona)
    assert names(enterprises_visible(user)) == usccs(*(getattr(w, e) for e in expected))


@pytest.mark.parametrize(("persona", "expected"), REPORTABLE.items())
def test_each_persona_may_report_for_exactly_its_enterprises(w: World, persona: str, expected: tuple[str, ...]) -> None:
    user = getattr(w, persona)
    assert names(enterprises_reportable(user)) == usccs(*(getattr(w, e) for e in expected))


@pytest.mark.parametrize("persona", VISIBLE.keys())
def test_enterprise_get_returns_the_enterprises_in_scope_and_404s_the_rest(w: World, persona: str) -> None:
    user = getattr(w, persona)
    for key in ALL:
        enterprise = getattr(w, key)
        if key in VISIBLE[persona]:
            assert enterprise_get(user, enterprise.uscc).pk == enterprise.pk
        else:
            with pytest.raises(Http404):
                enterprise_get(user, enterprise.uscc)


def test_enterprise_get_404s_an_unknown_code(w: World) -> None:
    with pytest.raises(Http404):
        enterprise_get(w.admin, "NOT-A-CODE")


@pytest.mark.parametrize("persona", VISIBLE.keys())
def test_an_inactive_user_sees_nothing(w: World, persona: str) -> None:
    user = getattr(w, persona)
    user.is_active = False
    user.save()
    assert not enterprises_visible(user).exists()
    assert not enterprises_reportable(user).exists()
    with pytest.raises(Http404):
        enterprise_get(user, w.ent_a.uscc)


def test_an_anonymous_user_sees_nothing(w: World) -> None:
    anonymous = AnonymousUser()
    assert not enterprises_visible(anonymous).exists()
    assert not enterprises_reportable(anonymous).exists()
    with pytest.raises(Http404):
        enterprise_get(anonymous, w.ent_a.uscc)


def test_a_town_officer_does_not_see_an_enterprise_that_moves_to_another_town(w: World) -> None:
    w.ent_b.town = w.ent_c.town
    w.ent_b.save()
    assert names(enterprises_visible(w.town_officer)) == usccs(w.ent_a)


def test_region_codes_visible_match_the_enterprises_visible(world: World) -> None:
    from exportwatch.common.scoping import enterprises_visible, region_codes_visible

    assert region_codes_visible(world.admin) is None
    for persona in ("town_officer", "analyst", "leader", "outsider", "reporter", "handler"):
        user = getattr(world, persona)
        codes = region_codes_visible(user)
        everything = Enterprise.objects.all() if codes is None else Enterprise.objects.filter(town_id__in=codes)
        by_region = {e.uscc for e in everything}
        if persona in ("reporter", "handler"):
            assert codes == frozenset(), persona  # no bureau scope
        else:
            assert by_region == {e.uscc for e in enterprises_visible(user)}, persona
