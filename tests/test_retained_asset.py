"""Registered artifacts live in a bucket the app owns (issue 7, item 6, second half).

``RetainedAsset`` and ``ModelData.from_asset(..., retained_in=bucket)``: the template (content-addressed
keys, retention, dependencies, the copier's exact permissions), the reference app (every registered
version names the app's bucket, never the bootstrap bucket ``cdk-*-assets-*``), and the copier's
handler with moto, also under the policy the template gives its role.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    MetricsReport,
    Model,
    ModelData,
    ModelMetrics,
    ModelPackageGroup,
    ModelPackageVersion,
    RetainedAsset,
    ValidationError,
)
from cdk_sagemaker_inference import retained_asset as retained_module
from cdk_sagemaker_inference.handlers.retained_asset_copier import index as copier
from cdk_sagemaker_inference.runtime.local import cloud_assembly
from moto import mock_aws

from stacks.example_pipeline import ARTIFACTS, METRICS, RETAINED_ASSETS_PREFIX

from .conftest import new_app
from .test_handler_access import Principal, as_moto_policy, role_statements, without_action
from .test_handler_access import Template as stack_template

ARCHIVE = ARTIFACTS / "xgboost" / "model.tar.gz"
BOOTSTRAP_BUCKET = re.compile(r"cdk-[a-z0-9]+-assets-")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.get_logical_id(construct.node.default_child)


def kept_key(prefix: str, path: Path) -> str:
    return f"{prefix}{sha256(path)}/{path.name}"


@pytest.fixture
def bucket(stack: cdk.Stack) -> s3.Bucket:
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    return s3.Bucket(stack, "Kept", encryption_key=key, versioned=True, enforce_ssl=True)


def retained_model(stack: cdk.Stack, bucket: s3.IBucket, id: str = "Model", path: Path = ARCHIVE) -> Any:
    return Model(stack, id, container=ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
        model_data=ModelData.from_asset(str(path), retained_in=bucket, retained_prefix="models/"),
    ))


# --- the construct --------------------------------------------------------------------------------

def test_a_retained_archive_is_read_from_the_apps_bucket_under_its_content_hash(stack, bucket):
    model = retained_model(stack, bucket)
    template = Template.from_stack(stack)
    key = kept_key("models/", ARCHIVE)
    bucket_ref = {"Ref": logical_id(stack, bucket)}
    models = template.find_resources("AWS::SageMaker::Model", {"Properties": {"PrimaryContainer": {
        "ModelDataUrl": {"Fn::Join": ["", ["s3://", bucket_ref, f"/{key}"]]}}}})
    assert list(models) == [stack.get_logical_id(model.node.find_child("Resource"))]
    (copy_id, copy), = template.find_resources("Custom::RetainedAsset").items()
    assert copy["Properties"]["Bucket"] == bucket_ref and copy["Properties"]["Key"] == key
    assert copy["Properties"]["SourceKey"].startswith(sha256(ARCHIVE)) is False  # CDK's own asset hash
    assert BOOTSTRAP_BUCKET.search(json.dumps(copy["Properties"]["SourceBucket"]))
    # The model is created only once the archive is where it reads it.
    assert copy_id in next(iter(models.values()))["DependsOn"]


def test_the_copy_is_retained_and_never_replaced_in_place(stack, bucket):
    retained_model(stack, bucket)
    Template.from_stack(stack).has_resource("Custom::RetainedAsset", {
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_keys_are_content_addressed(stack, bucket, tmp_path):
    same = tmp_path / "copy" / ARCHIVE.name
    same.parent.mkdir()
    shutil.copyfile(ARCHIVE, same)
    other = tmp_path / "other" / ARCHIVE.name
    other.parent.mkdir()
    other.write_bytes(ARCHIVE.read_bytes() + b"\0")
    assets = [RetainedAsset(stack, name, path=str(path), bucket=bucket)
              for name, path in (("A", ARCHIVE), ("Same", same), ("Other", other))]
    assert assets[0].sha256 == sha256(ARCHIVE)
    assert assets[0].object_key == f"assets/{sha256(ARCHIVE)}/model.tar.gz"
    assert assets[1].object_key == assets[0].object_key  # equal bytes, equal key
    assert assets[2].object_key != assets[0].object_key  # a new version never overwrites an older one
    assert stack.resolve(assets[0].s3_object_url) == {"Fn::Join": [
        "", ["s3://", {"Ref": logical_id(stack, bucket)}, f"/{assets[0].object_key}"]]}


def test_one_copy_per_file_and_one_copier_per_stack_and_bucket(stack, bucket):
    retained_model(stack, bucket, "Blue")
    retained_model(stack, bucket, "Green")
    other = s3.Bucket(stack, "Other", enforce_ssl=True)
    retained_model(stack, other, "Elsewhere")
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::RetainedAsset", 2)
    template.resource_count_is("AWS::Lambda::Function", 2)


def test_the_copier_may_copy_exactly_its_assets_and_delete_nothing(stack, bucket):
    retained_model(stack, bucket)
    template = Template.from_stack(stack).to_json()
    (copy,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::RetainedAsset"]
    source = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", copy["Properties"]["SourceBucket"],
                                "/" + copy["Properties"]["SourceKey"]]]}
    bucket_arn = {"Fn::GetAtt": [logical_id(stack, bucket), "Arn"]}
    key = copy["Properties"]["Key"]
    statements = role_statements(template, "SageMakerAssetsRetainedAssetCopier")
    assert [s for s in statements if not s["Action"][0].startswith("logs:")] == [
        {"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [logical_id(stack, bucket.encryption_key), "Arn"]},
         "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"},
                                                                              ".amazonaws.com"]]}}}},
        {"Action": "s3:GetObject", "Effect": "Allow", "Resource": source},
        {"Action": ["s3:AbortMultipartUpload", "s3:PutObject"], "Effect": "Allow",
         "Resource": {"Fn::Join": ["", [bucket_arn, f"/{key}"]]}},
        {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": bucket_arn,
         "Condition": {"StringEquals": {"s3:prefix": key}}},
    ]
    assert "Delete" not in json.dumps(statements)
    # The function runs as soon as the copy is created: its grants exist by then.
    (policy_id,) = [name for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::ManagedPolicy"
                    and name.startswith("SageMakerAssetsRetainedAssetCopier")]
    assert policy_id in copy["DependsOn"]


def test_cloudformation_waits_for_an_answer_a_minute_longer_than_the_copier_runs(stack, bucket):
    retained_model(stack, bucket)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Lambda::Function", {"Timeout": 900})
    (copy,) = template.find_resources("Custom::RetainedAsset").values()
    assert copy["Properties"]["ServiceTimeout"] == "960"  # not CloudFormation's default hour


def test_another_bucket_makes_another_copy_since_cloudformation_cannot_change_a_service_token():
    def copies(bucket_id: str) -> dict[str, str]:
        """Logical id -> ServiceToken of each copy, in a fresh app (another synth of the same code)."""
        stack = cdk.Stack(new_app(), "TestStack")
        RetainedAsset(stack, "Metrics", path=str(METRICS), bucket=s3.Bucket(stack, bucket_id))
        return {name: json.dumps(r["Properties"]["ServiceToken"])
                for name, r in Template.from_stack(stack).find_resources("Custom::RetainedAsset").items()}

    before, same, renamed = copies("Artifacts"), copies("Artifacts"), copies("ModelArtifacts")
    assert same == before  # deterministic: redeploying the same app replaces nothing
    assert set(renamed.values()).isdisjoint(before.values())  # another bucket, another copier
    assert {name for name in before.keys() & renamed.keys() if before[name] != renamed[name]} == set()


def test_the_copiers_logs_are_encrypted_with_the_buckets_key_and_kept_a_year(stack, bucket):
    retained_model(stack, bucket)
    Template.from_stack(stack).has_resource_properties("AWS::Logs::LogGroup", {
        "KmsKeyId": {"Fn::GetAtt": [logical_id(stack, bucket.encryption_key), "Arn"]}, "RetentionInDays": 365})


@pytest.mark.parametrize("prefix", ["/models/", "models", "x" * 512 + "/"])
def test_a_bad_prefix_is_refused(stack, bucket, prefix):
    with pytest.raises(ValidationError, match=r"TestStack/Asset: prefix must be empty or up to 512 characters "
                                              r"ending with '/', not starting with '/', got"):
        RetainedAsset(stack, "Asset", path=str(ARCHIVE), bucket=bucket, prefix=prefix)


def test_a_missing_file_is_refused(stack, bucket):
    with pytest.raises(ValidationError, match=r"TestStack/Asset: path must be an existing file, got 'nope.json'"):
        RetainedAsset(stack, "Asset", path="nope.json", bucket=bucket)


def test_a_version_waits_for_its_kept_metrics_and_archives_even_in_another_stack(bucket):
    stack = cdk.Stack.of(bucket)
    model = retained_model(stack, bucket)
    registry = cdk.Stack(stack.node.scope, "Registry")  # type: ignore[arg-type]
    metrics = RetainedAsset(registry, "Metrics", path=str(METRICS), bucket=bucket)
    version = ModelPackageVersion(
        registry, "Version", group=ModelPackageGroup(registry, "Group", model_package_group_name="g"),
        containers=model.containers, supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"],
        model_metrics=ModelMetrics(model_quality_statistics=MetricsReport.from_retained_asset(metrics)))
    template = Template.from_stack(registry)
    resource = template.to_json()["Resources"][logical_id(registry, version)]
    (copy_id,) = template.find_resources("Custom::RetainedAsset")
    assert copy_id in resource["DependsOn"]
    assert resource["Properties"]["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == registry.resolve(
        metrics.s3_object_url)
    # The archives' copies are in the model's stack: the registry stack deploys after it.
    assert stack in registry.dependencies


def test_the_local_runner_knows_the_copy_type():
    assert cloud_assembly.RETAINED_ASSET_TYPE == retained_module.RESOURCE_TYPE


# --- the reference app ----------------------------------------------------------------------------

def artifacts_bucket_output(app: cdk.App) -> dict[str, Any]:
    """How the other stacks name the shared artifacts bucket (its cross-stack output)."""
    shared = stack_template(app, "inference-shared")
    (bucket,) = [name for name, r in shared["Resources"].items()
                 if r["Type"] == "AWS::S3::Bucket" and name.startswith("SharedArtifacts")]
    (output,) = [name for name, o in shared["Outputs"].items() if o["Value"] == {"Ref": bucket}]
    return {"Fn::GetStackOutput": {"StackName": "inference-shared", "Region": {"Ref": "AWS::Region"},
                                   "OutputName": output}}


def kept_url(app: cdk.App, path: Path) -> dict[str, Any]:
    return {"Fn::Join": ["", ["s3://", artifacts_bucket_output(app), f"/{kept_key(RETAINED_ASSETS_PREFIX, path)}"]]}


EXAMPLE_ARCHIVES = [ARTIFACTS / name / "model.tar.gz" for name in ("preprocessing", "xgboost", "postprocessing")]


def test_6_the_registered_version_names_only_the_apps_bucket(reference_app):
    template = stack_template(reference_app, "inference-registry")
    (version,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::ModelPackage"]
    containers = version["Properties"]["InferenceSpecification"]["Containers"]
    assert [c["ModelDataUrl"] for c in containers] == [kept_url(reference_app, p) for p in EXAMPLE_ARCHIVES]
    assert version["Properties"]["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"] == kept_url(
        reference_app, METRICS)
    assert not BOOTSTRAP_BUCKET.search(json.dumps(version))


def test_6_the_tuning_registration_names_the_kept_archives(reference_app):
    template = stack_template(reference_app, "inference-tuning")
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    register = definition[definition.index("InferenceSpecification"):]
    for path in (EXAMPLE_ARCHIVES[0], EXAMPLE_ARCHIVES[2]):
        assert f"/{kept_key(RETAINED_ASSETS_PREFIX, path)}" in register
    assert not BOOTSTRAP_BUCKET.search(register)
    tuning = reference_app.node.find_child("inference-tuning")
    assert "inference-realtime" in [s.stack_name for s in tuning.dependencies]  # the copies deploy first


def test_6_the_realtime_and_batch_models_serve_the_same_kept_objects(reference_app):
    for name in ("inference-realtime", "inference-batch"):
        template = stack_template(reference_app, name)
        (model,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model"]
        declared = model["Properties"]["Containers"]["Fn::If"][2]
        assert [c["ModelDataUrl"] for c in declared] == [kept_url(reference_app, p) for p in EXAMPLE_ARCHIVES], name
        copies = [r for r in template["Resources"].values() if r["Type"] == "Custom::RetainedAsset"]
        assert sorted(c["Properties"]["Key"] for c in copies) == sorted(
            kept_key(RETAINED_ASSETS_PREFIX, p) for p in EXAMPLE_ARCHIVES)


def test_6_the_apps_bucket_and_its_policy_are_retained_versioned_encrypted_logged_and_tls_only(reference_app):
    template = stack_template(reference_app, "inference-shared")
    (bucket_id, bucket), = [(n, r) for n, r in template["Resources"].items()
                            if r["Type"] == "AWS::S3::Bucket" and n.startswith("SharedArtifacts")]
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")
    properties = bucket["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    (encryption,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    key_id = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    assert template["Resources"][key_id]["Type"] == "AWS::KMS::Key"
    assert properties["LoggingConfiguration"]["LogFilePrefix"] == "artifacts/"
    (policy,) = [r for r in template["Resources"].values()
                 if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket_id}]
    assert (policy["DeletionPolicy"], policy["UpdateReplacePolicy"]) == ("Retain", "Retain")
    # No Allow is needed in the account (the copier's identity policy suffices), and the only Deny is
    # for requests without TLS, which the copier (boto3) never sends.
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    # The key policy lets IAM policies of the account grant its use (the copier's and the models' grants).
    key_policy = template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    assert {"Action": "kms:*", "Effect": "Allow", "Resource": "*", "Principal": {"AWS": {"Fn::Join": [
        "", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}}} in key_policy


def test_6_the_models_read_exactly_the_kept_archives(reference_app):
    statements = role_statements(stack_template(reference_app, "inference-realtime"), "ModelRole")
    reads = json.dumps([s["Resource"] for s in statements if s["Action"] == "s3:GetObject"])
    for path in EXAMPLE_ARCHIVES:
        assert f"/{kept_key(RETAINED_ASSETS_PREFIX, path)}" in reads
    assert not BOOTSTRAP_BUCKET.search(reads)


# --- the handler ----------------------------------------------------------------------------------

SOURCE_BUCKET = "cdk-hnb659fds-assets-123456789012-us-east-1"
SOURCE_KEY = "0a1b.gz"
KEPT_BUCKET = "inference-artifacts"
KEPT_KEY = "models/assets/0a1b/model.tar.gz"
BODY = b"model archive bytes"
#: 9 MiB, above boto3's 8 MiB multipart threshold: copied as CreateMultipartUpload, two UploadPartCopy
#: (8 MiB and 1 MiB) and CompleteMultipartUpload instead of one CopyObject.
LARGE_BODY = bytes(range(256)) * (9 * 4096)


class Context:
    """Lambda's context object, with ``seconds`` left before the function's timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


#: An invocation that has just started: the function's whole timeout ahead.
CONTEXT = Context(900)


def request(request_type: str = "Create", **properties: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/answer",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/inference-realtime/1",
        "RequestId": "r-1",
        "LogicalResourceId": "Copy",
        "ResourceType": "Custom::RetainedAsset",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:copier",
                               "SourceBucket": SOURCE_BUCKET, "SourceKey": SOURCE_KEY,
                               "Bucket": KEPT_BUCKET, "Key": KEPT_KEY, **properties},
    }


class Answers:
    """CloudFormation's response URL, stubbed: the handler's only call that is not to AWS."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[dict[str, Any]] = []
        answers = self

        class Response:
            status = 200

            def __enter__(self) -> Response:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

        def urlopen(req: Any, timeout: float) -> Response:
            assert req.get_method() == "PUT" and req.full_url == request()["ResponseURL"]
            answers.sent.append(json.loads(req.data))
            return Response()

        monkeypatch.setattr(copier.urllib.request, "urlopen", urlopen)

    @property
    def last(self) -> dict[str, Any]:
        return self.sent[-1]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Answers]]:
    with mock_aws():
        s3_client = boto3.client("s3", region_name="us-east-1")
        for name in (SOURCE_BUCKET, KEPT_BUCKET):
            s3_client.create_bucket(Bucket=name)
        s3_client.put_bucket_versioning(Bucket=KEPT_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        s3_client.put_object(Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=BODY)
        yield s3_client, Answers(monkeypatch)


def versions(s3_client: Any) -> list[dict[str, Any]]:
    return s3_client.list_object_versions(Bucket=KEPT_BUCKET).get("Versions", [])  # type: ignore[no-any-return]


def test_create_copies_the_asset_and_answers_with_the_kept_url(world):
    s3_client, answers = world
    copier.handler(request(), CONTEXT)
    assert s3_client.get_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY)["Body"].read() == BODY
    assert answers.last == {"Status": "SUCCESS", "Reason": "SUCCESS", "PhysicalResourceId": f"s3://{KEPT_BUCKET}/{KEPT_KEY}",
                            "StackId": request()["StackId"], "RequestId": "r-1", "LogicalResourceId": "Copy",
                            "NoEcho": False, "Data": {}}


def test_a_second_create_or_update_of_the_same_content_writes_nothing(world):
    s3_client, answers = world
    copier.handler(request(), CONTEXT)
    copier.handler(request(), CONTEXT)  # another stack, or a retried request
    copier.handler({**request("Update"), "PhysicalResourceId": f"s3://{KEPT_BUCKET}/{KEPT_KEY}"}, CONTEXT)
    assert len(versions(s3_client)) == 1
    assert [a["Status"] for a in answers.sent] == ["SUCCESS"] * 3


def test_another_object_under_the_key_is_never_overwritten(world):
    s3_client, answers = world
    s3_client.put_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY, Body=b"something else")
    copier.handler(request(), CONTEXT)
    assert answers.last["Status"] == "FAILED"
    assert "refusing to overwrite" in answers.last["Reason"]
    assert s3_client.get_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY)["Body"].read() == b"something else"


def test_a_key_that_only_starts_like_the_kept_one_is_not_taken_for_it(world):
    s3_client, _ = world
    s3_client.put_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY + ".old", Body=BODY)
    copier.handler(request(), CONTEXT)
    assert s3_client.get_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY)["Body"].read() == BODY


def test_an_asset_above_the_multipart_threshold_is_copied_in_parts_once(world):
    s3_client, answers = world
    s3_client.put_object(Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=LARGE_BODY)
    copier.handler(request(), CONTEXT)
    copier.handler(request(), CONTEXT)  # a repeat finds the same size under the key
    kept = s3_client.get_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY)
    assert kept["Body"].read() == LARGE_BODY
    assert kept["ETag"].endswith('-2"'), "a multipart upload's ETag counts its parts: this copy was not one"
    assert len(versions(s3_client)) == 1
    assert [a["Status"] for a in answers.sent] == ["SUCCESS"] * 2


def test_delete_keeps_the_object_and_answers_success_whatever_the_properties(world):
    s3_client, answers = world
    copier.handler(request(), CONTEXT)
    copier.handler({**request("Delete"), "PhysicalResourceId": "s3://x/y", "ResourceProperties": None}, CONTEXT)
    assert answers.last["Status"] == "SUCCESS" and answers.last["PhysicalResourceId"] == "s3://x/y"
    assert len(versions(s3_client)) == 1


@pytest.mark.parametrize(("event", "reason"), [
    ({**request(), "RequestType": "Replace"},
     "RequestType must be one of ['Create', 'Delete', 'Update'], got 'Replace'"),
    (request(Key=""), "ResourceProperties.Key must be a non-empty string, got ''"),
    ({**request(), "ResourceProperties": "x"}, "ResourceProperties must be an object"),
])
def test_a_bad_request_fails_with_its_reason(world, event, reason):
    _, answers = world
    copier.handler(event, CONTEXT)
    assert answers.last["Status"] == "FAILED" and reason in answers.last["Reason"]


def test_a_missing_source_fails_the_resource_instead_of_hanging_the_stack(world):
    _, answers = world
    copier.handler(request(SourceKey="missing.gz"), CONTEXT)
    assert answers.last["Status"] == "FAILED" and "ClientError" in answers.last["Reason"]


def test_a_copy_still_running_near_the_timeout_is_answered_failed_before_lambda_stops_it(world, monkeypatch):
    _, answers = world
    release = threading.Event()
    monkeypatch.setattr(copier, "keep", lambda s3, request: release.wait(30))  # a copy that hangs
    started = time.monotonic()
    try:
        copier.handler(request(), Context(copier.ANSWER_SECONDS + 0.3))
    finally:
        release.set()
    assert time.monotonic() - started < 5, "the handler waited for the copy instead of answering"
    (answer,) = answers.sent  # once: the copy's own outcome is never sent
    assert answer["Status"] == "FAILED" and answer["PhysicalResourceId"] == "Copy"
    assert answer["Reason"] == (f"TimeoutError: the copy did not finish in 0 s and was given up "
                                f"{copier.ANSWER_SECONDS} s before the function's timeout; deploy again to retry it")


@pytest.mark.parametrize(("event", "status"), [(request(), "SUCCESS"), (request(Key=""), "FAILED")])
def test_an_answer_cloudformation_does_not_take_is_logged_and_raised(world, monkeypatch, caplog, event, status):
    def urlopen(req: Any, timeout: float) -> Any:
        raise urllib.error.HTTPError(req.full_url, 403, "Forbidden", None, None)  # type: ignore[arg-type]

    monkeypatch.setattr(copier.urllib.request, "urlopen", urlopen)
    with pytest.raises(urllib.error.HTTPError):  # Lambda then retries the request
        copier.handler(event, CONTEXT)
    assert f"could not answer {status} to CloudFormation for request r-1 of Copy" in caplog.text


# --- the handler under its role's policy -------------------------------------------------------------

@pytest.fixture(scope="module")
def copier_statements(reference_app: cdk.App) -> list[dict[str, Any]]:
    return role_statements(stack_template(reference_app, "inference-realtime"), "SageMakerAssetsRetainedAssetCopier")


@pytest.mark.parametrize("body", [BODY, LARGE_BODY], ids=["one-copy", "multipart"])
def test_the_copiers_policy_covers_the_first_copy_and_a_repeat(world, copier_statements, body):
    s3_client, answers = world
    s3_client.put_object(Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=body)
    principal = Principal(as_moto_policy(copier_statements))
    shell = principal.client("s3")
    for _ in range(2):
        Principal.run(lambda: copier.handle(request(), shell))
    assert s3_client.get_object(Bucket=KEPT_BUCKET, Key=KEPT_KEY)["Body"].read() == body


@pytest.mark.parametrize("body", [BODY, LARGE_BODY], ids=["one-copy", "multipart"])
@pytest.mark.parametrize("action", ["s3:PutObject", "s3:ListBucket", "s3:GetObject"])
def test_without_each_granted_s3_action_the_copy_is_refused(world, copier_statements, action, body):
    world[0].put_object(Bucket=SOURCE_BUCKET, Key=SOURCE_KEY, Body=body)
    principal = Principal(as_moto_policy(without_action(copier_statements, action)))
    shell = principal.client("s3")
    with pytest.raises(Exception, match="AccessDenied|Forbidden|403"):
        Principal.run(lambda: copier.handle(request(), shell))
