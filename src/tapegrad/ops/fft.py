"""The fft extension of the Array API, differentiable."""

from __future__ import annotations

__all__: list[str] = []
