"""Load the reference data shipped in directory/data/*.json. Idempotent: codes are upserted, never duplicated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from exportwatch.directory.models import Department, HSCode, Industry, Market, MarketGroup, Region, Segment

DATA_DIR = Path(__file__).resolve().parent / "data"


def _items(name: str) -> list[dict[str, Any]]:
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        items: list[dict[str, Any]] = json.load(fh)["items"]
    return items


@transaction.atomic
def reference_load() -> dict[str, int]:
    """Upsert every reference table; returns the number of rows per table after loading."""
    regions = _items("regions.json")
    by_code = {r["code"]: r for r in regions}

    def depth(code: str) -> int:
        parent = by_code[code]["parent"]
        return 0 if parent is None else 1 + depth(parent)

    for item in sorted(regions, key=lambda r: depth(r["code"])):
        parent = Region.objects.get(code=item["parent"]) if item["parent"] else None
        region = Region.objects.filter(code=item["code"]).first() or Region(code=item["code"])
        region.name, region.name_en, region.level, region.parent = item["name"], item["name_en"], item["level"], parent
        region.save()
    for model, file_name, extra in (
        (Market, "markets.json", ()),
        (HSCode, "hs_chapters.json", ("section",)),
        (Industry, "industries.json", ("section",)),
        (Segment, "segments.json", ()),
        (Department, "departments.json", ("kind",)),
    ):
        for item in _items(file_name):
            defaults = {"name": item["name"], "name_en": item.get("name_en", "")}
            defaults.update({k: item.get(k, "") for k in extra})
            model.objects.update_or_create(code=item["code"], defaults=defaults)  # type: ignore[attr-defined]
    for item in _items("market_groups.json"):
        group, created = MarketGroup.objects.get_or_create(
            code=item["code"], defaults={"name": item["name"], "name_en": item.get("name_en", "")}
        )
        if created:
            # Groups are data the analysts edit; only a new group gets the shipped membership.
            group.members.set(item["members"])
    return {
        "regions": Region.objects.count(),
        "markets": Market.objects.count(),
        "market_groups": MarketGroup.objects.count(),
        "hs_codes": HSCode.objects.count(),
        "industries": Industry.objects.count(),
        "segments": Segment.objects.count(),
        "departments": Department.objects.count(),
    }
