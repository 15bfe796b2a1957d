import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# keep user-level files of test runs out of the real home folder
os.environ.setdefault("NICHELAB_HOME", str(ROOT / ".pytest_cache" / "nichelab-home"))

#: overrides that make a small, fast tile for tests where the claim does not depend on size
SMALL_TILE = {"tile_x_um": 400.0, "tile_y_um": 400.0, "spinup_days": 10.0}
