"""Which point gets the next round, and how long until the sweep is decided (`workloads.measuring.sweep`
asks after every round; nothing here measures).

Rounds go where the verdict is still open.  After a first pass that gives
every point its minimum rounds, the next round goes to the open point whose
open intervals shrink the most per second of machine time:

    score(point) = sum over its open comparisons of
                   weight * (half_width(n) - projected_half_width(n + 1))
                   / seconds_per_round(point)

* the shrinkage term is "most uncertain first": a wide interval loses more
  width per round than a narrow one (and the quantile itself drops as the
  degrees of freedom grow), so rounds flow to the least settled points;
* dividing by the round's cost is "weighed by cost": a cheap point gets a
  round before an expensive one that would learn the same;
* ``weight`` is 1/2 when every neighbour of the point in the sweep has
  already decided the same comparison with the same verdict: a point far
  from the flip whose neighbours agree will most likely agree too, so it
  waits behind points beside the flip.  This only reorders rounds; it never
  closes a decision, so it cannot cause a wrong one.

The planner is a pure function of the states; it decides nothing itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..model.decision import (
    ALPHA,
    FIRST_LOOK,
    MARGIN,
    Comparison,
    PointDecision,
    multiplier,
)
from ..model.stats import Interval

DEFAULT_MAX_ROUNDS = 20
NEIGHBOURS_AGREE_WEIGHT = 0.5
DEFAULT_GIVE_UP_AFTER = 5
DEFAULT_HOPE = 1.0


@dataclass(frozen=True)
class PointState:
    """What the planner knows about one sweep point (in sweep order)."""

    rounds: int
    round_seconds: float
    decision: PointDecision | None = None  # None before the first look

    @property
    def decided(self) -> bool:
        return self.decision is not None and self.decision.decided


def open_comparisons(state: PointState) -> list[Comparison]:
    if state.decision is None:
        return []
    return [c for c in state.decision.comparisons if not c.decided and c.interval is not None]


def projected_half_width(iv: Interval, n: int, alpha: float = ALPHA, sd: float | None = None) -> float:
    """Log half-width at look ``n`` if the per-round sd stays at ``iv.sd`` (or ``sd``).

    Degrees of freedom grow by one per extra round (the point's own)."""
    sd = iv.sd if sd is None else sd
    if not sd > 0:
        return 0.0
    df = iv.df + (n - iv.n)
    return multiplier(n, df, alpha) * sd / math.sqrt(n)


def _would_decide(centre: float, half: float, margin: float) -> bool:
    """Whether an interval centre ± half (log scale) decides: inside ±margin (the same), or clear of
    1 (faster or slower) — `workloads.model.decision.decide`, without building the interval."""
    bound = math.log1p(margin)
    low, high = centre - half, centre + half
    return (low >= -bound and high <= bound) or low > 0.0 or high < 0.0


def rounds_to_close(
    iv: Interval,
    *,
    margin: float = MARGIN,
    alpha: float = ALPHA,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    hope: float = 0.0,
) -> int | None:
    """Extra rounds until the interval would decide, if the estimate and sd held.

    None when it would not decide by ``max_rounds`` (e.g. an estimate sitting
    on the margin).  With ``hope`` > 0 the projection is optimistic by that
    many standard errors: the estimate may move that far either way (the
    most favourable case is taken) and the sd may be smaller by that many of
    its relative standard errors (1/sqrt(2 df), at most halving it).  Used
    to give up only on comparisons that look hopeless even then.  Plug-in
    (hope = 0) is what the remaining-time estimate uses.
    """
    centre = iv.log_estimate
    sd = iv.sd
    step = 0.0
    if hope > 0 and iv.sd > 0:
        step = hope * iv.sd / math.sqrt(iv.n)
        sd = iv.sd * max(0.5, 1.0 - hope / math.sqrt(2.0 * iv.df))
    centres = (centre,) if step == 0 else (centre, centre - step, centre + step)
    for n in range(iv.n + 1, max_rounds + 1):
        half = projected_half_width(iv, n, alpha, sd)
        if any(_would_decide(c, half, margin) for c in centres):
            return n - iv.n
    return None


def hopeless(
    state: PointState,
    *,
    margin: float = MARGIN,
    alpha: float = ALPHA,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    after: int = DEFAULT_GIVE_UP_AFTER,
    hope: float = DEFAULT_HOPE,
) -> bool:
    """True when no open comparison could close by ``max_rounds`` even if its
    estimate moved ``hope`` standard errors the helpful way (only from round
    ``after`` on).  Stopping such a point early is always allowed by the
    confidence sequence; it only gives up power, never validity."""
    if state.rounds < after:
        return False
    return all(
        rounds_to_close(c.interval, margin=margin, alpha=alpha, max_rounds=max_rounds, hope=hope) is None
        for c in open_comparisons(state)
        if c.interval is not None
    )


def _neighbours_agree(states: Sequence[PointState], index: int, comparison: Comparison) -> bool:
    """True when every neighbour decided this same comparison the same way."""
    verdicts = []
    for j in (index - 1, index + 1):
        if 0 <= j < len(states):
            decision = states[j].decision
            if decision is None:
                return False
            match = [
                c
                for c in decision.comparisons
                if (c.subject, c.reference) == (comparison.subject, comparison.reference)
            ]
            if not match or not match[0].decided:
                return False
            verdicts.append(match[0].verdict)
    return bool(verdicts) and len(set(verdicts)) == 1


def _is_open(state: PointState, max_rounds: int) -> bool:
    return not state.decided and state.rounds < max_rounds


def priority(states: Sequence[PointState], index: int, *, alpha: float = ALPHA) -> float:
    """Expected shrinkage of the point's open intervals per second (see module doc)."""
    state = states[index]
    gain = 0.0
    for comparison in open_comparisons(state):
        iv = comparison.interval
        assert iv is not None
        shrink = iv.log_half_width - projected_half_width(iv, iv.n + 1, alpha)
        weight = NEIGHBOURS_AGREE_WEIGHT if _neighbours_agree(states, index, comparison) else 1.0
        gain += weight * max(shrink, 0.0)
    return gain / max(state.round_seconds, 1e-9)


def next_point(
    states: Sequence[PointState],
    *,
    min_rounds: int = FIRST_LOOK,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    margin: float = MARGIN,
    alpha: float = ALPHA,
    give_up_after: int | None = DEFAULT_GIVE_UP_AFTER,
) -> int | None:
    """Index of the point that most deserves the next round, or None when done.

    First pass: the first point still short of ``min_rounds``.  Then the open
    point (undecided, below ``max_rounds``, and not ``hopeless`` from round
    ``give_up_after`` on; None disables giving up) with the highest
    ``priority``; ties go to the point with fewer rounds.  None when nothing
    is open.
    """
    for i, state in enumerate(states):
        if state.rounds < min_rounds:
            return i
    candidates = [
        i
        for i, s in enumerate(states)
        if _is_open(s, max_rounds)
        and not (give_up_after is not None
                 and hopeless(s, margin=margin, alpha=alpha, max_rounds=max_rounds, after=give_up_after))
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda i: (priority(states, i, alpha=alpha), -states[i].rounds, -i))


def remaining_rounds(
    state: PointState,
    *,
    min_rounds: int = FIRST_LOOK,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    margin: float = MARGIN,
    alpha: float = ALPHA,
    give_up_after: int | None = DEFAULT_GIVE_UP_AFTER,
) -> int:
    """Rounds this point will probably still take.

    The slowest of its open comparisons decides: the rounds it needs to close
    if its estimate and sd held; if it would not close so, the rounds until
    the planner gives up on it (``give_up_after``) when it already looks
    hopeless, else to ``max_rounds``; a point given up on takes none.  A point without a look yet
    counts its first pass plus one more round.
    """
    if state.rounds >= max_rounds or state.decided:
        return 0
    if state.decision is None or state.rounds < min_rounds:
        return min(max_rounds, max(min_rounds - state.rounds, 0) + 1)
    if give_up_after is not None and hopeless(state, margin=margin, alpha=alpha, max_rounds=max_rounds,
                                              after=give_up_after):
        return 0
    needed = 0
    for comparison in open_comparisons(state):
        iv = comparison.interval
        assert iv is not None
        extra = rounds_to_close(iv, margin=margin, alpha=alpha, max_rounds=max_rounds)
        if extra is None:
            # Not even an exact tie would read SAME by max_rounds at this sd:
            # the planner will give up on it, typically soon after give_up_after.
            doomed = projected_half_width(iv, max_rounds, alpha) > math.log1p(margin)
            if give_up_after is not None and doomed:
                extra = max(give_up_after - state.rounds, 1)
            else:
                extra = max_rounds - state.rounds
        needed = max(needed, extra)
    return needed


def remaining_seconds(
    states: Sequence[PointState],
    *,
    min_rounds: int = FIRST_LOOK,
    max_rounds: int = DEFAULT_MAX_ROUNDS,
    margin: float = MARGIN,
    alpha: float = ALPHA,
    give_up_after: int | None = DEFAULT_GIVE_UP_AFTER,
) -> float:
    """Estimated machine time until every point is decided, given up or at max rounds.

    For a progress bar: it is re-estimated after every round, and it is
    plug-in (assumes each estimate and sd stay where they are), so it tends
    to be short for points whose estimate sits near a decision boundary;
    the simulation reports actual / estimated.
    """
    return sum(
        remaining_rounds(s, min_rounds=min_rounds, max_rounds=max_rounds, margin=margin, alpha=alpha,
                         give_up_after=give_up_after)
        * s.round_seconds
        for s in states
    )
