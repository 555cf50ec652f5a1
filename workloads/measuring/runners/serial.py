"""The seed's for loop over `d.items()`, in the measuring process itself (serial, numpy)."""

from __future__ import annotations

from ..waits import thread_wait_s
from .base import Runner


class SerialRunner(Runner):
    def call(self, data: dict) -> dict:
        kernel = self.config.kernel
        result = {}
        for key, value in data.items():
            result[key] = kernel(value)
        return result

    def wait_mark(self) -> float | None:
        return thread_wait_s()  # the calls run on this thread

    def waited(self, mark: object) -> float | None:
        now = thread_wait_s()
        return max(0.0, now - mark) if isinstance(mark, float) and now is not None else None


RUNNER = SerialRunner
