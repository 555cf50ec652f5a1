"""parbench's own exceptions: every failure it reports is one of these, with a message a user can
act on in one line."""

from __future__ import annotations


class ParbenchError(Exception):
    """Base of parbench's failures."""


class PoolBroken(ParbenchError):
    """A process pool lost a worker mid-call; the message says which way it died when that is known."""


class RunAborted(ParbenchError):
    """Something the whole run depends on failed at its start (a Dask scheduler that cannot be
    reached, a workload that cannot be loaded): the run fails once, saying why, instead of every
    point failing the same way."""
