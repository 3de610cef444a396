"""Product families: the config groups products, the world says which family each product is
in, and a family's numbers split back over its products without losing a unit.

- aggregating sums a family's products; disaggregating by the products' own shares gives the
  products back, and by any split keeps every family's total (property tests over random
  arrays and groupings);
- a family whose split is all zero is shared evenly; quantities of a family with no products
  are refused rather than dropped;
- a family naming something that is not a product, a product in two families or in none is a
  located config error naming both;
- without families each product is its own family, named like it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from yaml_text import where, write

from agents.config import load_config
from sim.config import ConfigError
from sim.families import aggregate, disaggregate, family_index, shares
from sim.rng import Streams
from sim.world import World

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "configs" / "baseline.yaml"
FAST = settings(max_examples=200, deadline=None, derandomize=True, database=None)


@st.composite
def grouping(draw) -> tuple[np.ndarray, int]:
    """A random grouping of 1-8 products into 1-5 families (some families may be empty)."""
    n_families = draw(st.integers(1, 5))
    n_products = draw(st.integers(1, 8))
    family_of = draw(hnp.arrays(np.intp, n_products, elements=st.integers(0, n_families - 1)))
    return family_of, n_families


quantities = st.floats(0, 1e9, allow_nan=False, allow_infinity=False)


# ------------------------------------------------------------------ the helpers


def test_aggregate_sums_each_familys_products_row_by_row():
    family_of = np.array([0, 0, 1])
    per_product = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # [product, week]
    np.testing.assert_array_equal(
        aggregate(per_product, family_of, 2), np.array([[4.0, 6.0], [5.0, 6.0]])
    )


def test_disaggregate_splits_by_the_given_mix():
    family_of = np.array([0, 0, 1])
    per_family = np.array([[100.0, 10.0], [7.0, 0.0]])
    split = np.array([0.25, 0.75, 1.0])
    np.testing.assert_allclose(
        disaggregate(per_family, split, family_of),
        np.array([[25.0, 2.5], [75.0, 7.5], [7.0, 0.0]]),
    )


def test_a_split_that_is_not_normalised_is_read_as_weights():
    family_of = np.array([0, 0, 1])
    # Units sold last quarter serve as the mix: 30 and 90 are a quarter and three quarters.
    np.testing.assert_allclose(shares(np.array([30.0, 90.0, 5.0]), family_of, 2), [0.25, 0.75, 1])


def test_a_family_whose_split_is_all_zero_is_shared_evenly():
    family_of = np.array([1, 0, 1, 1])
    out = disaggregate(np.array([8.0, 90.0]), np.array([0.0, 0.0, 0.0, 0.0]), family_of)
    np.testing.assert_allclose(out, [30.0, 8.0, 30.0, 30.0])


def test_a_family_with_units_and_no_products_is_refused_not_dropped():
    with pytest.raises(ValueError, match="no products"):
        disaggregate(np.array([5.0, 3.0]), np.array([1.0]), np.array([0]))
    # An empty family holding nothing is harmless.
    np.testing.assert_array_equal(
        disaggregate(np.array([5.0, 0.0]), np.array([1.0]), np.array([0])), [5.0]
    )


@pytest.mark.parametrize("split", [[-1.0, 2.0], [np.nan, 1.0], [np.inf, 1.0]])
def test_a_split_must_be_finite_and_non_negative(split):
    with pytest.raises(ValueError, match="finite and non-negative"):
        disaggregate(np.array([10.0]), np.array(split), np.array([0, 0]))


def test_shapes_that_do_not_match_are_refused():
    with pytest.raises(ValueError, match="rows"):
        aggregate(np.ones(3), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="outside"):
        aggregate(np.ones(2), np.array([0, 2]), 2)
    with pytest.raises(ValueError, match="one weight per product"):
        disaggregate(np.ones(2), np.ones(3), np.array([0, 1]))


@FAST
@given(data=st.data(), grouped=grouping())
def test_aggregate_then_disaggregate_by_own_shares_gives_the_products_back(data, grouped):
    family_of, n_families = grouped
    per_product = data.draw(hnp.arrays(float, len(family_of), elements=quantities))
    per_family = aggregate(per_product, family_of, n_families)
    back = disaggregate(per_family, per_product, family_of)
    np.testing.assert_allclose(back, per_product, rtol=1e-12, atol=1e-6)
    # Not a unit lost or made, family by family.
    np.testing.assert_allclose(
        aggregate(back, family_of, n_families), per_family, rtol=1e-12, atol=1e-6
    )


@FAST
@given(data=st.data(), grouped=grouping())
def test_any_split_keeps_every_familys_total(data, grouped):
    family_of, n_families = grouped
    weeks = data.draw(st.integers(1, 6))
    # Only families that have products can hold units.
    filled = np.bincount(family_of, minlength=n_families) > 0
    per_family = data.draw(hnp.arrays(float, (n_families, weeks), elements=quantities))
    per_family[~filled] = 0.0
    split = data.draw(hnp.arrays(float, len(family_of), elements=st.floats(0, 1e6)))
    per_product = disaggregate(per_family, split, family_of)
    assert per_product.shape == (len(family_of), weeks)
    assert (per_product >= 0).all()
    np.testing.assert_allclose(
        aggregate(per_product, family_of, n_families), per_family, rtol=1e-12, atol=1e-6
    )
    share = shares(split, family_of, n_families)
    np.testing.assert_allclose(aggregate(share, family_of, n_families)[filled], 1.0, rtol=1e-12)


def test_family_index_without_families_makes_each_product_its_own():
    names, family_of = family_index(("a", "b", "c"), {})
    assert names == ("a", "b", "c")
    np.testing.assert_array_equal(family_of, [0, 1, 2])


# ------------------------------------------------------------------ the world and the config


def _topology(config):
    return World(config, Streams(1), lambda _: [], horizon_days=1).topology


def test_the_world_tells_each_products_family():
    top = _topology(load_config(BASELINE))
    assert top.families == ("consumer", "professional")
    assert [top.families[f] for f in top.family_of] == ["consumer", "consumer", "professional"]
    assert not top.family_of.flags.writeable


def test_without_families_each_product_is_a_family_named_like_it():
    top = _topology(load_config(BASELINE, ["families=null"]))
    assert top.families == top.products
    np.testing.assert_array_equal(top.family_of, np.arange(len(top.products)))


def problems(path: Path, overrides=None):
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides or [])
    return caught.value.problems


def _with_families(tmp_path: Path, block: str) -> tuple[Path, str]:
    text = BASELINE.read_text(encoding="utf-8")
    start = text.index("families:\n")
    end = text.index("\n\n", start)
    text = text[:start] + block.rstrip("\n") + text[end:]
    return write(tmp_path, text, "families.yaml"), text


def test_a_family_naming_an_unknown_product_is_located(tmp_path):
    path, text = _with_families(
        tmp_path, "families:\n  consumer: [compact, classic]\n  professional: [pro, blendr]\n"
    )
    [problem] = problems(path)
    assert problem.path == "families.professional.1"
    assert (problem.location.line, problem.location.column) == where(text, "blendr")
    assert problem.message == "unknown product 'blendr'; defined products: classic, compact, pro"


def test_a_product_in_two_families_names_both(tmp_path):
    path, text = _with_families(
        tmp_path, "families:\n  consumer: [compact, classic]\n  professional: [pro, classic]\n"
    )
    [problem] = problems(path)
    assert problem.path == "families.professional.1"
    line, column = where(text, "pro, classic")
    assert (problem.location.line, problem.location.column) == (line, column + len("pro, "))
    assert problem.message == (
        "product 'classic' is already in family 'consumer'; a product belongs to exactly one family"
    )


def test_a_product_in_no_family_is_named_at_the_families(tmp_path):
    path, text = _with_families(tmp_path, "families:\n  consumer: [compact, classic]\n")
    [problem] = problems(path)
    assert problem.path == "families"
    assert (problem.location.line, problem.location.column) == where(text, "families:\n  consumer")
    assert problem.message == "product 'pro' is in no family; list it in one of: consumer"


def test_an_empty_family_and_a_product_listed_twice_are_refused():
    found = problems(
        BASELINE,
        ["families.professional=[]", "families.consumer=[compact, classic, compact]"],
    )
    messages = {p.path: p.message for p in found}
    assert messages == {
        "families.professional": "a family lists at least one product",
        "families.consumer.2": "product 'compact' is listed twice in family 'consumer'",
        "families": "product 'pro' is in no family; list it in one of: consumer, professional",
    }
