"""Shared test setup: the repository root on sys.path, and moto's EC2 backends without AMIs."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
