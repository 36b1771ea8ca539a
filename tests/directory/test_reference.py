"""The shipped reference data: regions, markets and their groups, HS chapters, industries."""

from __future__ import annotations

from typing import Any

import pytest

from exportwatch.directory.models import Department, HSCode, Industry, Market, MarketGroup, Region, Segment
from exportwatch.directory.reference import reference_load


def _empty_reference_tables() -> None:
    MarketGroup.objects.all().delete()
    for model in (Market, HSCode, Industry, Segment, Department):
        model.objects.all().delete()
    # Regions protect their children: delete the deepest first.
    for region in sorted(Region.objects.all(), key=lambda r: -len(r.path)):
        region.delete()


@pytest.fixture
def loaded(db: Any) -> dict[str, int]:
    _empty_reference_tables()
    return reference_load()


def test_it_loads_the_twelve_towns_of_the_demo_district(loaded: dict[str, int]) -> None:
    towns = Region.objects.filter(parent_id="330213", level=Region.Level.TOWN)
    assert towns.count() == 12
    assert Region.objects.get(code="330213").level == Region.Level.DISTRICT


def test_each_region_knows_its_path_from_the_province(loaded: dict[str, int]) -> None:
    assert Region.objects.get(code="330213001").path == "330000/330200/330213/330213001/"
    assert Region.objects.get(code="330213100").path == "330000/330200/330213/330213100/"
    assert Region.objects.get(code="330000").path == "330000/"
    for region in Region.objects.select_related("parent"):
        expected = (region.parent.path if region.parent else "") + region.code + "/"
        assert region.path == expected


def test_it_loads_the_249_iso_markets_with_chinese_names(loaded: dict[str, int]) -> None:
    assert Market.objects.count() == 249
    assert loaded["markets"] == 249
    assert Market.objects.get(code="US").name == "美国"


def test_the_us_group_contains_the_united_states(loaded: dict[str, int]) -> None:
    assert set(MarketGroup.objects.get(code="US").members.values_list("code", flat=True)) == {"US"}


def test_the_eu_group_has_its_27_members_and_not_the_united_kingdom(loaded: dict[str, int]) -> None:
    members = set(MarketGroup.objects.get(code="EU").members.values_list("code", flat=True))
    assert len(members) == 27
    assert "DE" in members
    assert "FR" in members
    assert "GB" not in members


def test_every_market_group_has_members(loaded: dict[str, int]) -> None:
    for group in MarketGroup.objects.all():
        assert group.members.exists(), group.code


def test_it_loads_the_96_hs_chapters_and_the_97_industry_divisions(loaded: dict[str, int]) -> None:
    assert HSCode.objects.count() == 96
    assert Industry.objects.count() == 97
    assert loaded["hs_codes"] == 96
    assert loaded["industries"] == 97
    assert HSCode.objects.filter(code="84").exists()
    assert Industry.objects.filter(code="34").exists()


def test_loading_twice_changes_nothing(loaded: dict[str, int]) -> None:
    memberships = {g.code: set(g.members.values_list("code", flat=True)) for g in MarketGroup.objects.all()}
    again = reference_load()
    assert again == loaded
    assert {g.code: set(g.members.values_list("code", flat=True)) for g in MarketGroup.objects.all()} == memberships
    assert Region.objects.get(code="330213001").path == "330000/330200/330213/330213001/"


def test_an_analysts_edit_of_a_group_survives_a_reload(loaded: dict[str, int]) -> None:
    eu = MarketGroup.objects.get(code="EU")
    eu.members.remove("DE")
    eu.members.add("GB")
    reference_load()
    members = set(MarketGroup.objects.get(code="EU").members.values_list("code", flat=True))
    assert "DE" not in members
    assert "GB" in members


def test_a_reload_restores_a_deleted_group_with_its_shipped_members(loaded: dict[str, int]) -> None:
    MarketGroup.objects.filter(code="ASEAN").delete()
    reference_load()
    assert MarketGroup.objects.get(code="ASEAN").members.count() == 10
