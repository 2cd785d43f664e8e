"""The reference app's configuration: defaults, overrides and every kind of bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cdk_sagemaker_inference import ValidationError

from stacks import cdk_json_context
from stacks.config import AppConfig
from tests.conftest import REPO


def test_cdk_json_defaults_are_the_dataclass_defaults() -> None:
    assert AppConfig.from_context(cdk_json_context()) == AppConfig()


def test_cli_strings_are_coerced_to_the_field_types() -> None:
    config = AppConfig.from_context({
        "include_elastic_inference": "true",
        "endpoint_max_capacity": "6",
        "region": "eu-west-1",
        "account": "123456789012",
    })
    assert config.include_elastic_inference is True
    assert config.endpoint_max_capacity == 6
    assert (config.account, config.region) == ("123456789012", "eu-west-1")


def test_cdk_keys_are_not_configuration() -> None:
    config = AppConfig.from_context({
        "@aws-cdk/core:validateAgainstDefaultRules": True,
        "aws:cdk:enable-path-metadata": True,
        "availability-zones:account=123456789012:region=us-east-1": ["us-east-1a"],
        "acknowledged-issue-numbers": [1],
    })
    assert config == AppConfig()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("name_prefx", "demo", r"config: name_prefx must be a known key: account, .*, got 'demo'"),
        ("include_registry", "yes", r"config: include_registry must be true or false, got 'yes'"),
        ("include_registry", 1, r"config: include_registry must be true or false, got 1"),
        ("endpoint_min_capacity", "two", r"config: endpoint_min_capacity must be a whole number, got 'two'"),
        ("endpoint_min_capacity", True, r"config: endpoint_min_capacity must be a whole number, got True"),
        ("endpoint_instance_type", 5, r"config: endpoint_instance_type must be a string, got 5"),
        ("name_prefix", "my_app", r"config: name_prefix must be 1-20 letters, digits or hyphens .*, got 'my_app'"),
        ("name_prefix", "a" * 21, r"config: name_prefix must be 1-20 letters.*, got 'a{21}'"),
        ("name_prefix", "1app", r"config: name_prefix must be 1-20 letters.*, got '1app'"),
        ("account", "12345", r"config: account must be a 12-digit AWS account ID, got '12345'"),
        ("region", "europe-1", r"config: region must be an AWS region name such as eu-west-1, got 'europe-1'"),
        ("region", "eu-west", r"config: region must be an AWS region name .*, got 'eu-west'"),
        ("endpoint_instance_type", "m5.large",
         r"config: endpoint_instance_type must be a SageMaker instance type such as ml.m5.large, got 'm5.large'"),
        ("endpoint_initial_instance_count", 0,
         r"config: endpoint_initial_instance_count must be between 1 and 100, got 0"),
        ("endpoint_max_capacity", 101, r"config: endpoint_max_capacity must be between 1 and 100, got 101"),
        ("data_capture_sampling_percentage", 101,
         r"config: data_capture_sampling_percentage must be between 0 and 100, got 101"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(key: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AppConfig.from_context({key: value})


def test_max_capacity_below_min_capacity_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"endpoint_max_capacity must be between 3 and 100, got 2"):
        AppConfig.from_context({"endpoint_min_capacity": 3, "endpoint_max_capacity": 2})


def test_gov_and_china_regions_are_regions() -> None:
    assert AppConfig.from_context({"region": "us-gov-west-1"}).region == "us-gov-west-1"
    assert AppConfig.from_context({"region": "cn-northwest-1"}).region == "cn-northwest-1"


def test_app_py_stops_with_one_line_and_non_zero_exit(tmp_path: Path) -> None:
    """What `cdk synth -c region=nowhere` shows: the CLI passes context in CDK_CONTEXT_JSON."""
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=REPO,
        env={**os.environ, "CDK_CONTEXT_JSON": '{"region": "nowhere"}', "CDK_OUTDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: config: region must be an AWS region name such as eu-west-1, got 'nowhere'"
    )
