"""The Array API inspection API: ``tg.__array_namespace_info__()``."""

from __future__ import annotations

from . import _dtypes


class Info:
    """What this namespace supports: devices, default dtypes and capabilities."""

    def capabilities(self) -> dict:
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return "cpu"

    def devices(self) -> list:
        return ["cpu"]

    def default_dtypes(self, *, device=None) -> dict:
        return {
            "real floating": _dtypes.DEFAULT_FLOAT,
            "complex floating": _dtypes.DEFAULT_COMPLEX,
            "integral": _dtypes.DEFAULT_INT,
            "indexing": _dtypes.int64,
        }

    def dtypes(self, *, device=None, kind=None) -> dict:
        standard = [d for d in _dtypes.ALL if d != _dtypes.float16]  # float16 is an extra
        return {d.name: d for d in standard if kind is None or _dtypes.isdtype(d, kind)}


def __array_namespace_info__() -> Info:
    """The inspection API of the Array API standard.

    >>> import tapegrad as tg
    >>> tg.__array_namespace_info__().default_dtypes()["real floating"]
    dtype('float32')
    """
    return Info()
