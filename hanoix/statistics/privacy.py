"""Differential privacy of the counts by counterpart State, by OpenDP (never noise of our own).

A State may ask for its counts by counterpart State to be released with ε-differential privacy:
each count gets noise from OpenDP's Laplace mechanism on integers (the discrete Laplace, or
two-sided geometric, distribution), scaled so that the whole table is ε-private. One request
changes one count of the table by one (it has one counterpart and one direction), so the
table's L1 sensitivity is 1 and the scale is 1/ε; OpenDP's own privacy map checks that.
Clamping the released counts at zero and suppressing small cells afterwards are
post-processing and cost no privacy.

OpenDP is imported only when noise is asked for, so reports without it never load it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from importlib.metadata import version

from hanoix.errors import InputError
from hanoix.statistics.report import Privacy

#: The ε a report may state: above 10 the noise hides next to nothing, below 0.01 it hides
#: the counts themselves.
MIN_EPSILON = 0.01
MAX_EPSILON = 10.0
MECHANISM = "discrete Laplace (OpenDP make_laplace on integer vectors), L1 sensitivity 1"


def check_epsilon(epsilon: float) -> float:
    if not math.isfinite(epsilon) or not MIN_EPSILON <= epsilon <= MAX_EPSILON:
        raise InputError(
            f"epsilon must be a number from {MIN_EPSILON} to {MAX_EPSILON} (the privacy loss "
            f"of the counts by State; 1 is usual), not {epsilon}"
        )
    return epsilon


def laplace_noise(epsilon: float) -> Privacy:
    """The privacy of a report whose counts by State are ``epsilon``-differentially private."""
    check_epsilon(epsilon)
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    measurement = dp.m.make_laplace(*space, scale=1.0 / epsilon)
    # OpenDP's own account of the loss for a change of one count by one: never more than ε.
    spent = float(measurement.map(1))  # type: ignore[no-untyped-call]
    if spent > epsilon * (1 + 1e-9):
        raise InputError(f"OpenDP puts the privacy loss at {spent}, above epsilon {epsilon}")

    def noise(counts: Sequence[int]) -> list[int]:
        released = measurement([int(c) for c in counts])
        return [int(value) for value in released]

    return Privacy(
        epsilon=epsilon,
        noise=noise,
        mechanism=MECHANISM,
        library=f"opendp {version('opendp')}",
    )
