"""kubesim: a Kubernetes API simulator with a virtual kubelet (see kubesim/README.md).

Public API: :class:`KubeSim`, :class:`ManualClock`, :class:`RealClock`, :func:`load_scenario`,
and :func:`kubesim.testing.running_kubesim` for synchronous tests. No Django imports here.
"""

from .clock import ManualClock, RealClock
from .scenarios import builtin_names, load_scenario
from .sim import KubeSim

__all__ = ["KubeSim", "ManualClock", "RealClock", "builtin_names", "load_scenario"]
