"""``tg.special``: special functions, numerically stable and differentiable forward and reverse
to any order.

>>> import tapegrad as tg
>>> x = tg.Variable(0.0)
>>> with tg.GradientTape() as tape:
...     y = tg.special.erf(x)
>>> print(tape.gradient(y, x))
tg.Tensor(1.1283792, shape=(), dtype=float32)
"""

from .ops.special import *  # noqa: F403 - the family's public functions are this namespace
from .ops.special import __all__  # noqa: F401
