"""ABC, XYZ and demand-pattern segmentation (sop_xl.forecast.segmentation), per DESIGN.md."""

import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sop_xl.errors import SopError
from sop_xl.forecast.segmentation import (
    ADI_CUTOFF,
    CV2_CUTOFF,
    PATTERNS,
    abc,
    classify_pattern,
    coefficient_of_variation,
    demand_pattern,
    demand_patterns,
    demand_profile,
    xyz,
)


# ----------------------------------------------------------------------------------------------
# ABC
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values, kwargs, expected",
    [
        # hand-computed: total 100; sorted 50, 30, 10, 5 (pos 1), 5 (pos 5); share before each
        # 0, 0.5, 0.8 (not below 0.8: B), 0.9 (B), 0.95 (not below 0.95: C)
        ([5, 50, 30, 10, 5], {}, ["B", "A", "A", "B", "C"]),
        # ties keep input order: equal values, shares before 0, 0.2, 0.4, 0.6, 0.8
        ([10, 10, 10, 10, 10], {"a_share": 0.5}, ["A", "A", "A", "B", "B"]),
        # the item that crosses a_share is still A (share before it 0.7 < 0.8)
        ([70, 20, 10], {}, ["A", "A", "B"]),
        # the top item is always A, even when it alone holds more than a_share
        ([99, 1], {}, ["A", "C"]),
        # zero values are C; a blank (NaN) counts as 0
        ([0, 10, np.nan], {}, ["C", "A", "C"]),
        # every value 0: no item carries value
        ([0, 0], {}, ["C", "C"]),
        # a_share == b_share: no B items
        ([50, 30, 20], {"a_share": 0.7, "b_share": 0.7}, ["A", "A", "C"]),
        # b_share 1: only zero-valued items are C
        ([50, 30, 20, 0], {"b_share": 1.0}, ["A", "A", "B", "C"]),
        ([7], {}, ["A"]),
    ],
)
def test_abc_hand_computed(values, kwargs, expected):
    assert abc(values, **kwargs).tolist() == expected


def test_abc_shares_compared_without_float_noise():
    # ten items of 0.1: the 9th has 0.8 before it (0.7999999999999999 in floating point), so B
    assert abc([0.1] * 10).tolist() == abc([1] * 10).tolist() == ["A"] * 8 + ["B", "B"]


def test_abc_series_keeps_index():
    out = abc(pd.Series([1.0, 9.0], index=["x", "y"]))
    assert out.to_dict() == {"x": "B", "y": "A"}


@pytest.mark.parametrize(
    "values, kwargs, message",
    [
        ([5, -1], {}, "values must be >= 0; got -1 at position 2"),
        ([5, np.inf], {}, "values must be finite numbers or blank; got an infinite value"),
        ([[1, 2]], {}, r"values must be one list of items \(1-D\); got shape \(1, 2\)"),
        (["a"], {}, r"values must be numbers; got \['a'\]"),
        ([1], {"a_share": 0}, "a_share must be above 0 and at most 1; got 0"),
        ([1], {"a_share": 1.2}, "a_share must be above 0 and at most 1; got 1.2"),
        (
            [1],
            {"a_share": 0.8, "b_share": 0.7},
            r"b_share must be between a_share \(0.8\) and 1; got 0.7",
        ),
        ([1], {"b_share": 1.5}, r"b_share must be between a_share \(0.8\) and 1; got 1.5"),
    ],
)
def test_abc_refuses(values, kwargs, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        abc(values, **kwargs)


def _abc_reference(values, a_share, b_share):
    """DESIGN.md's rule written as a plain loop, with exact fractions."""
    from fractions import Fraction

    exact = [Fraction(v) for v in values]
    total = sum(exact)
    order = sorted(range(len(values)), key=lambda i: -exact[i])  # sorted() is stable
    classes, before = {}, Fraction(0)
    for i in order:
        share = before / total if total else None
        if share is None:
            classes[i] = "C"
        elif share < Fraction(a_share):
            classes[i] = "A"
        elif share < Fraction(b_share):
            classes[i] = "B"
        else:
            classes[i] = "C"
        before += exact[i]
    return [classes[i] for i in range(len(values))]


values_strategy = st.lists(st.integers(0, 1000), min_size=1, max_size=40)
shares = st.tuples(st.floats(0.05, 1.0), st.floats(0.0, 1.0)).map(
    lambda t: (t[0], t[0] + (1 - t[0]) * t[1])
)


@settings(max_examples=300, deadline=None)
@given(values_strategy, shares)
def test_abc_matches_the_definition(values, limits):
    a_share, b_share = limits
    got = abc(values, a_share=a_share, b_share=b_share).tolist()
    assert set(got) <= {"A", "B", "C"} and len(got) == len(values)
    # exact-arithmetic reference; the only allowed difference is a share within 1e-12 of a limit
    expected = _abc_reference(values, a_share, b_share)
    total = sum(values)
    if got != expected:
        assert total > 0
        order = np.argsort(-np.array(values), kind="stable")
        before = (np.cumsum(np.array(values)[order]) - np.array(values)[order]) / total
        assert np.min(np.abs(np.concatenate([before - a_share, before - b_share]))) < 1e-9


@settings(max_examples=300, deadline=None)
@given(values_strategy, st.floats(0.05, 0.99))
def test_abc_a_items_hold_a_share_but_one(values, a_share):
    classes = np.array(abc(values, a_share=a_share, b_share=1.0))
    v = np.array(values, dtype=float)
    total = v.sum()
    if total == 0:
        assert (classes == "C").all()
        return
    a_values = v[classes == "A"]
    assert v.argmax() in np.flatnonzero(classes == "A")  # the top item is A
    # without its smallest member, A holds less than a_share of the total ...
    assert a_values.sum() - a_values.min() < a_share * total + 1e-9 * total
    # ... and with it, at least a_share (unless every item is A)
    if (classes != "A").any():
        assert a_values.sum() >= a_share * total - 1e-9 * total
    # a more valuable item never gets a later class
    rank = {"A": 0, "B": 1, "C": 2}
    for i in range(len(v)):
        for j in range(len(v)):
            if v[i] > v[j]:
                assert rank[classes[i]] <= rank[classes[j]]


# ----------------------------------------------------------------------------------------------
# XYZ
# ----------------------------------------------------------------------------------------------
def test_xyz_hand_computed_and_boundaries():
    grid = [
        [5, 10, 15],  # sd 5 / mean 10 = 0.5 exactly: X (X <= 0.5)
        [0, 10, 20],  # sd 10 / mean 10 = 1.0 exactly: Y (Y <= 1.0)
        [10, 12, 8],  # 0.2: X
        [10, np.nan, 12, 8],  # blanks skipped: the same 0.2
        [0, 0, 30],  # sqrt(300) / 10 = 1.73: Z
        [0, 0, 0],  # mean 0: Z
        [-5, 5, -3],  # mean < 0: Z
        [7, np.nan, np.nan],  # one number: no sample sd, Z
    ]
    width = max(len(r) for r in grid)
    block = np.array([r + [np.nan] * (width - len(r)) for r in grid], dtype=float)
    assert xyz(block).tolist() == ["X", "Y", "X", "X", "Z", "Z", "Z", "Z"]
    assert xyz(block, x_cv=0.1, y_cv=0.3).tolist() == ["Z", "Z", "Y", "Y", "Z", "Z", "Z", "Z"]
    np.testing.assert_allclose(coefficient_of_variation(block)[:5], [0.5, 1.0, 0.2, 0.2, 3**0.5])


def test_xyz_dataframe_keeps_index():
    frame = pd.DataFrame([[10, 12, 8], [1, 9, 0]], index=["p1", "p2"])
    assert xyz(frame).to_dict() == {"p1": "X", "p2": "Z"}


@pytest.mark.parametrize(
    "grid, kwargs, message",
    [
        (
            [[1], [2]],
            {},
            "history_grid must have one row per item and at least 2 period columns; got 2 rows x 1 column",
        ),
        (
            [1, 2, 3],
            {},
            "history_grid must have one row per item and at least 2 period columns; got a list",
        ),
        ([[1, 2]], {"x_cv": -0.1}, "x_cv must be a number >= 0; got -0.1"),
        ([[1, 2]], {"x_cv": 0.6, "y_cv": 0.5}, r"y_cv must be at least x_cv \(0.6\); got 0.5"),
        ([[1, np.inf]], {}, "history_grid must be finite numbers or blank; got an infinite value"),
    ],
)
def test_xyz_refuses(grid, kwargs, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        xyz(grid, **kwargs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 500), min_size=2, max_size=12), min_size=1, max_size=8))
def test_xyz_matches_statistics_module(rows):
    width = max(len(r) for r in rows)
    block = np.array([r + [np.nan] * (width - len(r)) for r in rows], dtype=float)
    got = xyz(block, x_cv=0.5, y_cv=1.0).tolist()
    for row, cls in zip(rows, got, strict=True):
        mean = statistics.mean(row)
        if mean <= 0:
            assert cls == "Z"
            continue
        cv = statistics.stdev(row) / mean
        if abs(cv - 0.5) > 1e-9 and abs(cv - 1.0) > 1e-9:
            assert cls == ("X" if cv <= 0.5 else "Y" if cv <= 1.0 else "Z")


# ----------------------------------------------------------------------------------------------
# demand pattern (Syntetos, Boylan & Croston 2005: cut-offs ADI 1.32, CV^2 0.49)
# ----------------------------------------------------------------------------------------------
def test_cutoffs_are_syntetos_boylan_croston_2005():
    assert (ADI_CUTOFF, CV2_CUTOFF) == (1.32, 0.49)
    assert PATTERNS == ("smooth", "erratic", "intermittent", "lumpy", "no demand")


@pytest.mark.parametrize(
    "history, pattern, adi, cv2",
    [
        ([10, 11, 9, 10, 12], "smooth", 1.0, 1.3 / 10.4**2),  # sample var 1.3, mean 10.4
        (
            [1, 20, 2, 30, 1, 25],
            "erratic",
            1.0,
            statistics.variance([1, 20, 2, 30, 1, 25]) / (79 / 6) ** 2,
        ),
        ([0, 5, 0, 0, 7, 0, 6, 0], "intermittent", 8 / 3, 1 / 36),  # sizes 5, 7, 6: var 1, mean 6
        (
            [0, 1, 0, 0, 40, 0, 0, 3],
            "lumpy",
            8 / 3,
            statistics.variance([1, 40, 3]) / (44 / 3) ** 2,
        ),
        ([0, 0, 0, 9], "intermittent", 4.0, 0.0),  # one non-zero period: CV^2 is 0
        ([9], "smooth", 1.0, 0.0),
        ([5] * 25 + [0] * 8, "intermittent", 1.32, 0.0),  # ADI exactly 1.32: not below the cut-off
        ([5] * 25 + [0] * 7, "smooth", 32 / 25, 0.0),
        ([5, np.nan, 0, 5], "intermittent", 1.5, 0.0),  # a blank is not a period
        ([-3, 5, 5, 5], "intermittent", 4 / 3, 0.0),  # a net return is a period without demand
    ],
)
def test_demand_profile_hand_computed(history, pattern, adi, cv2):
    profile = demand_profile(history)
    assert profile.pattern == pattern == demand_pattern(history)
    assert profile.adi == pytest.approx(adi, rel=1e-12)
    assert profile.cv2 == pytest.approx(cv2, rel=1e-12, abs=1e-15)


def test_cv2_exactly_at_the_cutoff_is_erratic_side():
    assert classify_pattern([1.0, 1.0, 2.0, 2.0], [0.49, 0.4899999, 0.49, 0.4899999]).tolist() == [
        "erratic",
        "smooth",
        "lumpy",
        "intermittent",
    ]


@pytest.mark.parametrize("history", [[0, 0, 0], [0], [-1, 0, -2]])
def test_no_demand(history):
    profile = demand_profile(history)
    assert profile.pattern == "no demand" and profile.demand_periods == 0
    assert np.isnan(profile.adi) and np.isnan(profile.cv2)


def test_demand_profile_is_frozen():
    profile = demand_profile([1, 2])
    with pytest.raises(AttributeError):
        profile.pattern = "lumpy"


@pytest.mark.parametrize(
    "history, message",
    [
        ([np.nan, np.nan], "history has no numbers; got only blanks"),
        ([], "history has no numbers; got only blanks"),
        ([[1, 2], [3, 4]], r"history must be one series \(1-D\); got shape \(2, 2\)"),
        ([1, np.inf], "history must be finite numbers or blank; got an infinite value"),
        (["x", 1], r"history must be numbers; got \['x', 1\]"),
    ],
)
def test_demand_profile_refuses(history, message):
    with pytest.raises(SopError, match=f"^{message}$"):
        demand_profile(history)


def _random_frame(seed, items=300, periods=24):
    rng = np.random.default_rng(seed)
    occurs = rng.random((items, periods)) < rng.uniform(0.1, 1.0, (items, 1))
    sizes = rng.gamma(rng.uniform(0.5, 20, (items, 1)), 10, (items, periods)).round()
    qty = np.where(occurs, sizes, 0.0)
    qty[:5] = 0.0  # some items with no demand
    qty[5:10, 0] = np.nan  # some blanks
    frame = pd.DataFrame(
        {
            "item": np.repeat([f"i{k:03d}" for k in range(items)], periods),
            "period": np.tile(np.arange(periods), items),
            "qty": qty.ravel(),
        }
    )
    return frame.sample(frac=1.0, random_state=seed)


def test_demand_patterns_frame_equals_demand_profile_per_item():
    frame = _random_frame(7)
    table = demand_patterns(frame)
    assert list(table.columns) == ["periods", "demand_periods", "adi", "cv2", "pattern"]
    assert set(table["pattern"]) == set(PATTERNS)  # the sample covers every pattern
    for key, rows in frame.groupby("item"):
        p = demand_profile(rows["qty"].to_numpy())
        row = table.loc[key]
        assert (row["pattern"], row["periods"], row["demand_periods"]) == (
            p.pattern,
            p.periods,
            p.demand_periods,
        )
        assert row["adi"] == pytest.approx(p.adi, rel=1e-12, nan_ok=True)
        assert row["cv2"] == pytest.approx(p.cv2, rel=1e-9, abs=1e-15, nan_ok=True)


def test_demand_patterns_refuses():
    with pytest.raises(SopError, match="^frame must have columns item, qty; missing qty$"):
        demand_patterns(pd.DataFrame({"item": ["a"], "Qty": [1]}))
    with pytest.raises(SopError, match="^qty has no numbers for item 'b'; got only blanks$"):
        demand_patterns(pd.DataFrame({"item": ["a", "b"], "qty": [1, np.nan]}))
    with pytest.raises(SopError, match="^qty must be numbers; "):
        demand_patterns(pd.DataFrame({"item": ["a", "b"], "qty": [1, "x"]}))
    out = demand_patterns(
        pd.DataFrame({"sku": ["a", "a"], "units": [0, 4]}), item="sku", qty="units"
    )
    assert out.index.name == "sku" and out.loc["a", "pattern"] == "intermittent"
