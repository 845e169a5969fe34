"""`python -m meridian_ops.plan`: the offline plan of one environment (meridian_ops/plan/cli.py)."""

import sys

from meridian_ops.plan.aws_mocks import load_moto_ec2_without_offerings
from meridian_ops.plan.cli import main

load_moto_ec2_without_offerings()  # before anything imports moto's EC2 (its docstring says why)
sys.exit(main())
