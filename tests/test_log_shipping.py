"""LogShipping (components/observability/log_shipping.py): the stream's partition query gives each
CloudWatch Logs record its source folder, run through jq 1.6 (the parser Firehose's inline
parsing uses); bad sources and buffers are refused before anything is declared."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from components.common.naming import Names
from components.common.scope import AwsScope
from components.observability.log_shipping import PARTITION_QUERY, LogShippingArgs

# The record CloudWatch Logs sends a subscription's destination, once decompressed (CloudWatch
# Logs user guide, "Subscription filters": owner, logGroup, logStream, subscriptionFilters,
# messageType, logEvents); a control message names no filter.
DATA_MESSAGE = {
    "messageType": "DATA_MESSAGE",
    "owner": "123456789012",
    "logGroup": "/meridian/prod/us-east-1/msk/meridian-prod-use1-kafka",
    "logStream": "broker-1",
    "subscriptionFilters": ["archive-kafka-brokers"],
    "logEvents": [{"id": "1", "timestamp": 1510109208016, "message": "started"}],
}
CONTROL_MESSAGE = {
    "messageType": "CONTROL_MESSAGE",
    "owner": "CloudwatchLogs",
    "logGroup": "",
    "logStream": "",
    "subscriptionFilters": [],
    "logEvents": [{"id": "", "timestamp": 1510109208016, "message": "CWL CONTROL MESSAGE"}],
}


def _jq(record: dict[str, Any]) -> Any:
    jq = shutil.which("jq")
    if jq is None:
        pytest.skip("jq is not installed")
    version = subprocess.run([jq, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "jq-1.6", "Firehose's inline parsing is jq 1.6"
    out = subprocess.run(
        [jq, "-c", PARTITION_QUERY], input=json.dumps(record), capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_data_record_lands_in_its_sources_folder() -> None:
    assert _jq(DATA_MESSAGE) == {"source": "kafka-brokers"}


def test_a_control_record_lands_in_the_control_folder() -> None:
    assert _jq(CONTROL_MESSAGE) == {"source": "control"}
    assert _jq({k: v for k, v in CONTROL_MESSAGE.items() if k != "subscriptionFilters"}) == {
        "source": "control"
    }


def _args(**overrides: Any) -> LogShippingArgs:
    base: dict[str, Any] = {
        "names": Names(environment="dev", region="us-east-1"),
        "scope": AwsScope("123456789012", "us-east-1"),
        "log_groups": {"workloads": "/aws/eks/c/workloads"},
        "archive_bucket_arn": "arn:aws:s3:::archive",
        "archive_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k",
        "error_retention_days": 30,
    }
    return LogShippingArgs(**{**base, **overrides})


@pytest.mark.parametrize("source", ["Kafka", "msk/brokers", "control", "errors", "", "a" * 64])
def test_a_source_that_cannot_be_a_folder_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match="log source"):
        _args(log_groups={source: "/aws/eks/c/workloads"})


def test_a_buffer_below_the_partitioning_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="64 MiB"):
        _args(buffering_mib=32)
    assert _args().buffering_mib == 64
