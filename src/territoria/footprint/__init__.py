"""The environmental footprint of the data chain itself: measure, attribute, reduce.

- ``meter``: energy and CO2e of every step and run (RAPL when readable, else a documented model);
- ``attribution``: what each dataset and indicator costs per refresh and per month, upstream shares included;
- ``retention``: pruning and zstd archiving of raw landed versions;
- ``cadence``: no source is checked faster than its declared frequency (when the policy says so).
"""

from territoria.footprint.cadence import not_due
from territoria.footprint.meter import StepMeter
from territoria.footprint.params import FootprintPolicy, load_policy

__all__ = ["FootprintPolicy", "StepMeter", "load_policy", "not_due"]
