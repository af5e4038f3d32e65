"""Special functions: erf, erfc, erfinv, gammaln, digamma, expit, logit."""

from __future__ import annotations

__all__: list[str] = []
