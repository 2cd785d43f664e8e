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
         r"config: endpoint_instance_type must be a SageMaker hosting instance type such as ml.m5.large .*, "
         r"got 'm5.large'"),
        ("batch_instance_type", "ml.c5.large",
         r"config: batch_instance_type must be a SageMaker transform instance type \(ml.c5 sizes: xlarge, .*\), "
         r"got 'ml.c5.large'"),
        ("endpoint_initial_instance_count", 0,
         r"config: endpoint_initial_instance_count must be between 1 and 100, got 0"),
        ("endpoint_max_capacity", 101, r"config: endpoint_max_capacity must be between 2 and 100, got 101"),
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


def test_isolated_regions_are_regions() -> None:
    assert AppConfig.from_context({"region": "us-iso-east-1"}).region == "us-iso-east-1"
    assert AppConfig.from_context({"region": "us-isob-east-1"}).region == "us-isob-east-1"


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


#: A complete pipeline configuration; each test below breaks one thing.
PIPELINE = {
    "include_pipeline": True, "account": "111111111111", "region": "eu-west-1",
    "staging_account": "222222222222", "staging_region": "eu-west-1",
    "production_account": "333333333333", "production_region": "eu-central-1",
    "pipeline_connection_arn":
        "arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab",
    "pipeline_repository": "acme/app",
}


def test_a_complete_pipeline_configuration_is_accepted() -> None:
    config = AppConfig.from_context(PIPELINE)
    assert config.include_pipeline and config.pipeline_branch == "main"
    s3 = AppConfig.from_context({**PIPELINE, "pipeline_source": "s3", "pipeline_connection_arn": None,
                                 "pipeline_source_bucket": "acme-source"})
    assert (s3.pipeline_source_bucket, s3.pipeline_source_key) == ("acme-source", "source.zip")
    legacy = "arn:aws:codestar-connections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab"
    assert AppConfig.from_context({**PIPELINE, "pipeline_connection_arn": legacy}).pipeline_connection_arn == legacy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"include_pipeline": "sometimes"}, r"config: include_pipeline must be true or false, got 'sometimes'"),
        ({"pipeline_source": "git"}, r"config: pipeline_source must be one of 'codeconnections', 's3', got 'git'"),
        ({"pipeline_connection_arn": "arn:aws:iam::111111111111:role/x"},
         r"config: pipeline_connection_arn must be a CodeConnections connection ARN such as .*, got 'arn:aws:iam"),
        ({"pipeline_repository": "just-a-name"},
         r"config: pipeline_repository must be owner/name of a repository, got 'just-a-name'"),
        ({"pipeline_branch": "feature branch"}, r"config: pipeline_branch must be a git branch name, got 'feature"),
        ({"pipeline_source_bucket": "Bad_Bucket"},
         r"config: pipeline_source_bucket must be an S3 bucket name, got 'Bad_Bucket'"),
        ({"pipeline_source_key": ""}, r"config: pipeline_source_key must be an S3 object key, got ''"),
        ({"staging_account": "2222"}, r"config: staging_account must be a 12-digit AWS account ID, got '2222'"),
        ({"production_region": "mars-1"},
         r"config: production_region must be an AWS region name such as eu-west-1, got 'mars-1'"),
        # A stage deploys the same stacks: a region lacking one of their resource types is refused too.
        ({"staging_region": "me-central-1"},
         r"config: staging_region must be a region where every resource type of the app exists .*, "
         r"got 'me-central-1'"),
        ({"account": None}, r"config: account must be set when include_pipeline is true, got None"),
        ({"region": None}, r"config: region must be set when include_pipeline is true, got None"),
        ({"staging_account": None}, r"config: staging_account must be set when include_pipeline is true, got None"),
        ({"production_region": None},
         r"config: production_region must be set when include_pipeline is true, got None"),
        ({"pipeline_connection_arn": None},
         r"config: pipeline_connection_arn must be set when pipeline_source is codeconnections, got None"),
        ({"pipeline_repository": None},
         r"config: pipeline_repository must be set when pipeline_source is codeconnections, got None"),
        ({"pipeline_source": "s3"},
         r"config: pipeline_source_bucket must be set when pipeline_source is s3, got None"),
        ({"pipeline_model_approvals": True},
         r"config: pipeline_model_approvals must be false when staging is not the pipeline's account and region "
         r"\(a version ARN names one account and region\), got True"),
        ({"pipeline_model_approvals": True, "staging_account": "111111111111"},
         r"config: pipeline_model_approvals must be false when production is not the pipeline's account"),
        ({"production_account": "222222222222", "production_region": "eu-west-1"},
         r"config: production_account and production_region must be another account or region than staging's when "
         r"include_registry is true \(both stages would declare the model package group inference-breast-cancer\), "
         r"unless pipeline_model_approvals is true .*, got '222222222222/eu-west-1'"),
        ({"pipeline_model_approvals": True, "include_registry": False},
         r"config: pipeline_model_approvals must be false when include_registry is false"),
    ],
)
def test_bad_pipeline_values_name_the_key_the_value_and_what_is_allowed(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        AppConfig.from_context({**PIPELINE, **change})


def test_pipeline_model_approvals_need_the_pipeline() -> None:
    with pytest.raises(ValidationError, match=r"config: pipeline_model_approvals must be false when "
                                              r"include_pipeline is false, got True"):
        AppConfig.from_context({"pipeline_model_approvals": True})
