"""The reference app as a whole: stacks, compliance gate, acknowledgments, determinism."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from tests.conftest import REPO

ACKNOWLEDGMENTS = Path(__file__).with_name("acknowledgments.json")


def acknowledgments(app: cdk.App) -> dict[str, dict[str, str]]:
    """Every acknowledged rule in the app: construct path -> rule id -> reason."""
    found: dict[str, dict[str, str]] = {}
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found.setdefault(construct.node.path, {})[rule.removeprefix("Annotation::")] = reason
    return found


def templates(outdir: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(outdir.glob("*.template.json"))}


def test_the_gate_passes_and_every_acknowledgment_is_reviewed(reference_app: cdk.App) -> None:
    """reference_app synthesized with all four cdk-nag packs; a new acknowledgment must be added here."""
    expected = json.loads(ACKNOWLEDGMENTS.read_text())
    assert acknowledgments(reference_app) == expected
    for rules in expected.values():
        for rule, reason in rules.items():
            assert len(reason) >= 40, f"{rule}: an acknowledgment needs a specific reason, got {reason!r}"


def test_cfn_lint_and_the_summary_report_zero_findings(reference_app: cdk.App) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    import compliance_gate

    outdir = Path(reference_app.outdir)
    assert compliance_gate.validation_findings(outdir) == 0
    # One process: the suite's workers already use every CPU (the split is tested below).
    assert compliance_gate.cfn_lint(sorted(outdir.glob("*.template.json")), processes=1) == []
    names = [summary.name for summary in compliance_gate.stack_summaries(outdir)]
    assert names[0] == "inference-shared"


def test_cfn_lint_reports_each_templates_findings_from_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate's cfn-lint splits the templates between processes and reports what each one finds."""
    sys.path.insert(0, str(REPO / "tools"))
    import compliance_gate

    def template(name: str, properties: dict[str, object]) -> Path:
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": properties}}}))
        return path

    runs: list[list[str]] = []
    run = compliance_gate._cfn_lint_run

    def recorded(templates: list[Path]) -> subprocess.CompletedProcess[str]:
        runs.append(sorted(path.name for path in templates))
        return run(templates)

    monkeypatch.setattr(compliance_gate, "_cfn_lint_run", recorded)
    bad = [template(f"bad{i}", {"DelaySeconds": "soon"}) for i in range(2)]
    clean = template("clean", {"DelaySeconds": 5})
    findings = compliance_gate.cfn_lint([clean, *bad], processes=2)
    # The two largest (the bad ones) go to different processes, the clean one to either.
    assert len(runs) == 2 and all(any(path.name in names for names in runs) for path in [*bad, clean])
    assert not any({"bad0.template.json", "bad1.template.json"} <= set(names) for names in runs)
    assert [Path(line.split(":")[0]).name for line in findings] == [path.name for path in bad]
    assert all(":E3012:" in line for line in findings), findings
    with pytest.raises(ValueError, match="processes must be at least 1, got 0"):
        compliance_gate.cfn_lint([clean], processes=0)


#: The CDK CLI flags of `make synth` (the Makefile's CDK_FLAGS).
_CDK_FLAGS = re.search(r"^CDK_FLAGS := (.*)$", (REPO / "Makefile").read_text(), re.MULTILINE)
assert _CDK_FLAGS, "the Makefile no longer sets CDK_FLAGS"
MAKE_SYNTH_FLAGS = _CDK_FLAGS[1].split()


def test_make_synth_in_another_checkout_writes_the_same_templates(reference_app: cdk.App, tmp_path: Path) -> None:
    """`make synth`'s CDK CLI command (cdk.json's app in a new process), run in a copy of the project
    at another path, writes byte-identical templates to the session's synth: a CI build or a
    colleague's clone must not change a logical id. Without path and asset metadata, the only
    template content the CLI adds that an App built in-process does not."""
    checkout = tmp_path / "another" / "checkout"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (REPO / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, checkout / name)
    (checkout / ".venv").symlink_to(sys.prefix)  # cdk.json's app runs .venv/bin/python: this venv
    outdir = tmp_path / "cdk.out"
    result = subprocess.run(
        [str(REPO / "node_modules/.bin/cdk"), "synth", *MAKE_SYNTH_FLAGS, "--quiet", "--no-path-metadata",
         "--no-asset-metadata", "--output", str(outdir)],
        cwd=checkout,
        # PYTHONPATH before the editable install: the package is the copy's too.
        env={**os.environ, "PYTHONPATH": str(checkout / "constructs"),
             "CDK_DISABLE_CLI_TELEMETRY": "1", "CDK_DISABLE_VERSION_CHECK": "1"},
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ours, theirs = templates(Path(reference_app.outdir)), templates(outdir)
    assert ours.keys() == theirs.keys() and ours
    for name in ours:
        assert ours[name] == theirs[name], f"{name} differs between two synths"


@pytest.fixture(scope="module")
def shared(reference_app: cdk.App) -> Template:
    return Template.from_stack(reference_app.node.find_child("inference-shared"))  # type: ignore[arg-type]


def test_shared_key_rotates_and_is_retained(shared: Template) -> None:
    shared.has_resource("AWS::KMS::Key", {
        "Properties": Match.object_like({"EnableKeyRotation": True}),
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    })


def test_artifacts_bucket_is_kms_encrypted_versioned_logged_and_private(shared: Template) -> None:
    shared.has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "KMSMasterKeyID": {"Fn::GetAtt": [Match.string_like_regexp("SharedKey"), "Arn"]},
                "SSEAlgorithm": "aws:kms",
            },
        }]},
        "VersioningConfiguration": {"Status": "Enabled"},
        "LoggingConfiguration": {
            "DestinationBucketName": {"Ref": Match.string_like_regexp("SharedAccessLogs")},
            "LogFilePrefix": "artifacts/",
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "BlockPublicPolicy": True,
            "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        },
    })


def test_both_buckets_refuse_plain_http(shared: Template) -> None:
    policies = shared.find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    for policy in policies.values():
        first = policy["Properties"]["PolicyDocument"]["Statement"][0]
        assert (first["Effect"], first["Action"], first["Principal"]) == ("Deny", "s3:*", {"AWS": "*"})
        assert first["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_notifications_topic_is_encrypted_with_the_shared_key(shared: Template) -> None:
    shared.has_resource_properties("AWS::SNS::Topic", {
        "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("SharedKey"), "Arn"]},
    })
    shared.has_resource_properties("AWS::SNS::TopicPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Effect": "Deny",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })])},
    })
