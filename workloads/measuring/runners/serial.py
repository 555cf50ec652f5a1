"""The seed's for loop over `d.items()`, in the measuring process itself (serial, numpy)."""

from __future__ import annotations

from .base import Runner


class SerialRunner(Runner):
    def call(self, data: dict) -> dict:
        kernel = self.config.kernel
        result = {}
        for key, value in data.items():
            result[key] = kernel(value)
        return result


RUNNER = SerialRunner
