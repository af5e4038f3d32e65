"""``tg.special``: special functions, differentiable."""

from .ops.special import *  # noqa: F403

__all__: list[str] = []
