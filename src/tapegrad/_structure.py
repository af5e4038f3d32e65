"""Nested lists, tuples and dicts of values: flatten them, and rebuild the same structure."""

from __future__ import annotations

from collections.abc import Callable


def flatten(tree) -> tuple[list, Callable[[list], object]]:
    """The leaves of ``tree`` in order (a dict's by sorted key), and a function that puts new
    leaves in their place."""
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
        # leaves in the order of the sorted keys, as TensorFlow's nest and JAX do, so that two
        # dicts with the same keys match whatever order they were built in; the rebuilt dict
        # keeps the original order of its keys
        keys = _sorted_keys(tree)
        leaves, rebuild_values = flatten([tree[k] for k in keys])

        def rebuild_dict(new):
            by_key = dict(zip(keys, rebuild_values(new)))
            return type(tree)((k, by_key[k]) for k in tree)

        return leaves, rebuild_dict
    return [tree], lambda new: new[0]


def _sorted_keys(tree: dict) -> list:
    try:
        return sorted(tree)
    except TypeError:  # keys of types that do not compare (1 and "a"): by type, then text
        return sorted(tree, key=lambda k: (type(k).__qualname__, repr(k)))


def structure(tree):
    """The shape of ``tree`` without its leaves: lists and tuples (named or not) as sequences,
    dicts by their sorted keys, anything else a leaf (None)."""
    if isinstance(tree, (list, tuple)):
        return ("sequence", tuple(structure(item) for item in tree))
    if isinstance(tree, dict):
        keys = _sorted_keys(tree)
        return ("dict", tuple(keys), tuple(structure(tree[k]) for k in keys))
    return None


def check_same_structure(given, expected, what: str, expected_what: str) -> None:
    """Raise ValueError where ``given`` is not built as ``expected`` (lists and tuples count as
    the same; dicts must have the same keys): matching leaves by position across two different
    structures would pair values silently with the wrong places."""
    if structure(given) != structure(expected):
        raise ValueError(
            f"the {what} do not have the structure of the {expected_what}: "
            f"{_describe(given)} against {_describe(expected)}; give one array per array, "
            "in the same nesting of lists, tuples and dicts (with the same keys)"
        )


def _describe(tree) -> str:
    if isinstance(tree, (list, tuple)):
        return "[" + ", ".join(_describe(item) for item in tree) + "]"
    if isinstance(tree, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(tree[k])}" for k in _sorted_keys(tree)) + "}"
    return "*"
