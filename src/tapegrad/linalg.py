"""``tg.linalg``: the linalg extension of the Array API standard, differentiable."""

from .ops.linalg import matmul

__all__ = ["matmul"]
