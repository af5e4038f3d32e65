"""``cupy.cuda``: one device, id 0, as CuPy describes it; nothing runs asynchronously."""

from __future__ import annotations

import types

_CURRENT = [0]


class Device:
    """A CUDA device: equal by id, unhashable (CuPy's defines ``==`` and no hash), and a
    context manager that makes it the current device."""

    def __init__(self, device=None):
        self.id = _CURRENT[-1] if device is None else int(device)

    def __int__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"

    def __eq__(self, other):
        return isinstance(other, Device) and self.id == other.id

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def use(self):
        if self.id >= runtime.getDeviceCount():
            raise runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        _CURRENT[-1] = self.id

    def __enter__(self):
        if self.id >= runtime.getDeviceCount():
            raise runtime.CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        _CURRENT.append(self.id)
        return self

    def __exit__(self, *exc):
        _CURRENT.pop()

    def synchronize(self):
        pass

    @property
    def compute_capability(self):
        return "90"


class _Runtime(types.ModuleType):
    class CUDARuntimeError(RuntimeError):
        pass

    @staticmethod
    def getDeviceCount():
        return 1

    @staticmethod
    def getDevice():
        return _CURRENT[-1]

    @staticmethod
    def getDeviceProperties(device):
        return {"name": b"fake CuPy device (NumPy on the host)", "totalGlobalMem": 0}

    @staticmethod
    def runtimeGetVersion():
        return 12080

    @staticmethod
    def driverGetVersion():
        return 12080

    @staticmethod
    def deviceSynchronize():
        pass

    is_hip = False


runtime = _Runtime("cupy.cuda.runtime")


class Stream:
    null = None

    def synchronize(self):
        pass


Stream.null = Stream()


def get_current_stream():
    return Stream.null


def get_device_id():
    return _CURRENT[-1]


def is_available():
    return True
