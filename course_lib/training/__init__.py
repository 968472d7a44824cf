"""What training costs: FLOPs, time, utilization, energy, communication and memory (notebook 09).

The same arithmetic as for one forward pass, scaled up to a whole training run. The parts,
in the order notebook 09 teaches them:

- ``flops``: training FLOPs per example (forward + backward ~ 3 x forward; 6ND for transformers);
- ``catalogs``: the links, board powers and extra chips notebook 09 needs, each with its source;
- ``schedule``: time at a utilization, the MFU a reported run implies, energy at board power;
- ``parallel``: the ring all-reduce of a data-parallel step against its compute;
- ``memory``: per-device model states with ZeRO, activations with recomputation;
- ``published``: the papers' configs and figures, beside what the course computes for them;
- ``runs``: a whole run of a named model on n devices (the widget's numbers).

Every public name is re-exported here and by ``course_lib``.
"""
from __future__ import annotations

from .flops import *  # noqa: F401,F403
from .catalogs import *  # noqa: F401,F403
from .schedule import *  # noqa: F401,F403
from .parallel import *  # noqa: F401,F403
from .memory import *  # noqa: F401,F403
from .published import *  # noqa: F401,F403
from .runs import *  # noqa: F401,F403
from . import catalogs, flops, memory, parallel, published, runs, schedule

__all__ = [*flops.__all__, *catalogs.__all__, *schedule.__all__, *parallel.__all__, *memory.__all__,
           *published.__all__, *runs.__all__]
