"""Where the shared face photos are: $HADIR_FACES, else beside the checkout, else the
workplace's copy (a clean clone made elsewhere still finds them)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACES = next((p for p in (Path(os.environ.get("HADIR_FACES", "/nonexistent")),
                          ROOT.parent / "shared" / "faces", Path("/work/shared/faces"))
              if p.is_dir()), ROOT.parent / "shared" / "faces")
