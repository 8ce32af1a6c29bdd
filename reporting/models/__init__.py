"""What it adds up to: monthly reports, utilization snapshots, early warnings and their thresholds (built on
transfers).

One module a topic; every model is imported here so Django finds it as reporting.models.<Name>.
"""

from .carbon import *  # noqa: F403
from .exchange import *  # noqa: F403
from .imports import *  # noqa: F403
from .inspections import *  # noqa: F403
from .plans import *  # noqa: F403
from .reports import *  # noqa: F403
from .telemetry import *  # noqa: F403
from .thresholds import *  # noqa: F403
from .utilization import *  # noqa: F403
from .warnings import *  # noqa: F403
