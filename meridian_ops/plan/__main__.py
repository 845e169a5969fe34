"""`python -m meridian_ops.plan`: the offline plan of one environment (meridian_ops/plan/cli.py)."""

import sys

from meridian_ops.plan.cli import main

sys.exit(main())
