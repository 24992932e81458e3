"""xDSL plugin entry point: lets plain `xdsl-opt` see xunity's dialects and passes."""

from xdsl.universe import Universe

from xunity.dialects.context import DIALECTS
from xunity.registry import PASSES

XUNITY_UNIVERSE = Universe(all_dialects=dict(DIALECTS), all_passes=dict(PASSES))
