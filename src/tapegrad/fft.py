"""``tg.fft``: the fft extension of the Array API standard, differentiable."""

from .ops.fft import *  # noqa: F403

__all__: list[str] = []
