import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# keep user-level files of test runs out of the real home folder
os.environ.setdefault("NICHELAB_HOME", str(ROOT / ".pytest_cache" / "nichelab-home"))

import pytest  # noqa: E402


@pytest.fixture
def fresh_runtime(monkeypatch, tmp_path):
    """engine.runtime's state isolated: no remembered fallbacks, no session runtime folder, temporary
    folders under tmp_path/tmp (returned)."""
    from engine import runtime

    monkeypatch.setattr(runtime, "_fallbacks", {})
    monkeypatch.setattr(runtime, "_temporary", [])
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp))
    return tmp


#: overrides that make a small, fast tile for tests where the claim does not depend on size
SMALL_TILE = {"tile_x_um": 400.0, "tile_y_um": 400.0, "spinup_days": 10.0}
