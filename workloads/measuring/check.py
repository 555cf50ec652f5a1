"""The output check at one point: every strategy's first output there must agree with the
reference, or its row fails instead of reporting a speedup for a wrong answer.

The reference is serial's own first output when serial runs (the baseline of every speedup), or
else the workload's `reference` function (or its kernel, untimed) over the point's values. Serial's
output is timed like any call, so the release of the kept reference is timed too, once nothing
needs it, and added to the call it came from.
"""

from __future__ import annotations

from array import array

from ..model.errors import PoolBroken
from ..model.strategies import BASELINE
from ..model.workload import WorkloadError
from .loader import LoadedWorkload, Reference, describe_exception
from .timing import time_release


class OutputCheck:
    def __init__(self, workload: LoadedWorkload, inputs: dict, items: int, length: int, seed: int) -> None:
        self.workload = workload
        self._inputs = inputs
        self._point = (items, length, seed)
        self.reference: Reference | None = None
        # Where serial's checked call was recorded: its time gets the reference's release added.
        self._slot: tuple[array, int] | None = None

    def check(self, strategy: str, output, times: array) -> tuple[str, str]:
        """('', how it was checked) when `output` agrees; otherwise why not, in one line. The first
        output, serial's, becomes the reference (its time is the last value of `times`)."""
        if self.reference is None:
            if strategy == BASELINE:
                self.reference = Reference(output, BASELINE)
                self._slot = (times, len(times) - 1)
            else:
                items, length, seed = self._point
                try:
                    expected = self.workload.expected(self._inputs, items, length, seed)
                except Exception as exc:
                    return f"the reference output could not be computed: {describe_error(exc)}", ""
                self.reference = Reference(expected, "the workload's reference output")
        mismatch, how = self.reference.check(self.workload, output)
        return mismatch, (f"{how}, against {self.reference.against}" if how and not mismatch else "")

    @property
    def output(self) -> dict | None:
        """The reference output, while it is kept (the pool costs use its values as results)."""
        return self.reference.output if self.reference is not None else None

    @property
    def against(self) -> str:
        return self.reference.against if self.reference is not None else ""

    def release(self) -> None:
        """Drop the reference; serial's call is charged for dropping it, as any call is."""
        reference, self.reference = self.reference, None
        self._inputs = {}
        if reference is None:
            return
        kept = [reference.output]
        reference.release()
        slot, self._slot = self._slot, None
        released = time_release(kept)
        if slot is not None:
            times, index = slot
            if 0 <= index < len(times):
                times[index] += released


def describe_error(exc: BaseException) -> str:
    """One line a user can act on; a broken pool says which worker died and how."""
    if isinstance(exc, SystemExit):
        return f"the kernel called sys.exit({exc.code!r})"
    return str(exc) if isinstance(exc, (PoolBroken, WorkloadError)) else describe_exception(exc)
