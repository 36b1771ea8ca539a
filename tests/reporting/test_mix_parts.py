"""The market mixes of a bulk import, summed from the parts it holds in columns, a range of reports at a time."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from exportwatch.reporting import mix


def parts(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "report_id": rng.integers(1_000, 1_400, rows),  # not every id present, ids shared by many rows
            "market": rng.choice(["US", "DE", "JP", "GB", "VN"], rows),
            "hs": rng.choice(["84", "85", "94"], rows),
            "exports": rng.integers(0, 5, rows) * 1000,  # zeros too: a report without exports has no mix
        }
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_the_mixes_are_the_same_whatever_the_slices(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    frame = parts(3_000, seed)
    whole = mix.mixes_of_parts(frame)
    monkeypatch.setattr(mix, "PARTS_SLICE", 97)  # about 30 ranges of report ids
    sliced = mix.mixes_of_parts(frame)
    assert set(sliced) == set(frame.get_column("report_id").unique().to_list())
    assert sliced.keys() == whole.keys()
    for rid, (hhi, main) in whole.items():
        assert sliced[rid][1] == main
        assert (sliced[rid][0] is None) == (hhi is None)
        if hhi is not None:
            assert sliced[rid][0] == pytest.approx(hhi, rel=1e-12)
    # and each equals the mix of that report's lines alone
    one = frame.filter(pl.col("report_id") == 1_200)
    assert mix.mixes_of_parts(one)[1_200] == whole[1_200]
