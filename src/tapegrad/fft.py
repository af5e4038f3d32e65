"""``tg.fft``: the fft extension of the Array API standard (2024.12), differentiable forward and
reverse to any order, with the library's complex convention (see ``tapegrad.ops.fft``).

>>> import tapegrad as tg
>>> x = tg.Variable([1.0, 2.0, 3.0, 4.0])
>>> with tg.GradientTape() as tape:
...     power = tg.sum(tg.abs(tg.fft.rfft(x)) ** 2)
>>> print(tape.gradient(power, x))
tg.Tensor([12. 20. 20. 28.], shape=(4,), dtype=float32)
"""

from .ops.fft import *  # noqa: F403 - the family's public functions are this namespace
from .ops.fft import __all__  # noqa: F401
