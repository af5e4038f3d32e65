"""Nested lists, tuples and dicts of values: flatten them, and rebuild the same structure."""

from __future__ import annotations

from collections.abc import Callable


def flatten(tree) -> tuple[list, Callable[[list], object]]:
    """The leaves of ``tree`` in order, and a function that puts new leaves in their place."""
    if isinstance(tree, (list, tuple)):
        parts = [flatten(item) for item in tree]
        leaves = [leaf for part_leaves, _ in parts for leaf in part_leaves]
        kind = type(tree)

        def rebuild(new):
            out, at = [], 0
            for part_leaves, part_rebuild in parts:
                out.append(part_rebuild(new[at : at + len(part_leaves)]))
                at += len(part_leaves)
            if kind in (list, tuple):
                return kind(out)
            return kind(*out)  # named tuples

        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, rebuild_values = flatten([tree[k] for k in keys])
        return leaves, lambda new: type(tree)(zip(keys, rebuild_values(new)))
    return [tree], lambda new: new[0]
