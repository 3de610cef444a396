"""Product families: products grouped for planning in aggregate, and a family's numbers split
back over its products.

Pure functions of arrays, indexed like the world's (products first). The world builds the
grouping once (:attr:`sim.world.Topology.families` and :attr:`sim.world.Topology.family_of`);
decision makers use these helpers to plan demand and supply per family and to turn a family's
plan into one per product. Nothing here decides how a family should be split: the caller
passes the split (last quarter's mix, a forecast mix...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["aggregate", "disaggregate", "family_index", "shares"]


def family_index(
    products: Sequence[str], families: Mapping[str, Sequence[str]]
) -> tuple[tuple[str, ...], np.ndarray]:
    """The family names and, per product, the index of its family.

    ``families`` maps a family's name to its products (every product in exactly one, as the
    config gate checks); empty, each product is a family of its own, named like the product.
    """
    if not families:
        return tuple(products), np.arange(len(products), dtype=np.intp)
    names = tuple(families)
    of = {product: f for f, name in enumerate(names) for product in families[name]}
    missing = [p for p in products if p not in of]
    if missing:
        raise ValueError(f"products in no family: {', '.join(missing)}")
    return names, np.array([of[p] for p in products], dtype=np.intp)


def _checked_index(family_of: np.ndarray, n_families: int) -> np.ndarray:
    index = np.asarray(family_of)
    if index.ndim != 1 or not np.issubdtype(index.dtype, np.integer):
        raise ValueError("family_of must be a 1-d array of family indices, one per product")
    if len(index) and (index.min() < 0 or index.max() >= n_families):
        raise ValueError(f"family_of holds an index outside 0..{n_families - 1}")
    return index


def aggregate(per_product: np.ndarray, family_of: np.ndarray, n_families: int) -> np.ndarray:
    """Sum ``per_product`` ([product, ...]) over each family's products: [family, ...].

    A family without products sums to zero. Sums run in product order, so the result is the
    same bit for bit on every run.
    """
    values = np.asarray(per_product, dtype=float)
    index = _checked_index(family_of, n_families)
    if values.shape[:1] != index.shape:
        raise ValueError(
            f"per_product has {values.shape[0] if values.ndim else 0} rows for {len(index)} "
            "products"
        )
    out = np.zeros((n_families, *values.shape[1:]))
    np.add.at(out, index, values)
    return out


def shares(split: np.ndarray, family_of: np.ndarray, n_families: int) -> np.ndarray:
    """Each product's share of its family ([product]): ``split`` normalised within every
    family so that a family's shares add up to 1; a family whose ``split`` is all zero is
    shared evenly among its products.

    ``split`` is any non-negative weight per product (units sold last quarter, a forecast
    mix, shares that already add up to 1).
    """
    weights = np.asarray(split, dtype=float)
    index = _checked_index(family_of, n_families)
    if weights.shape != index.shape:
        raise ValueError(f"split must hold one weight per product ({len(index)})")
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("split must be finite and non-negative")
    totals = aggregate(weights, index, n_families)[index]
    members = np.bincount(index, minlength=n_families)[index]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(totals > 0, weights / totals, 1.0 / members)


def disaggregate(per_family: np.ndarray, split: np.ndarray, family_of: np.ndarray) -> np.ndarray:
    """Split ``per_family`` ([family, ...]) over each family's products by ``split``:
    [product, ...].

    Each product gets its share of its family (:func:`shares`), so what a family holds is
    what its products hold together (to float rounding). A family with a non-zero quantity
    but no products raises ``ValueError``: there is nobody to give it to.
    """
    values = np.asarray(per_family, dtype=float)
    if values.ndim == 0:
        raise ValueError("per_family must hold one row per family")
    n_families = values.shape[0]
    index = _checked_index(family_of, n_families)
    empty = np.bincount(index, minlength=n_families) == 0
    if (values[empty] != 0).any():
        lonely = ", ".join(str(f) for f in np.flatnonzero(empty))
        raise ValueError(f"families {lonely} have quantities but no products to split them over")
    share = shares(split, index, n_families)
    return values[index] * share.reshape(-1, *([1] * (values.ndim - 1)))
