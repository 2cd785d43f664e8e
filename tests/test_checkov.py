"""checkov in the compliance gate: the reference app at zero unacknowledged findings, a template with
findings fails, acknowledgments reach the template, and the scan's cache and sanity checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import acknowledge, apply_compliance_gate
from cdk_sagemaker_inference.checkov_scan import CheckovFinding, acknowledged_checks, scan_templates

from stacks import cdk_json_context
from tests.conftest import CHECKOV, REPO, CheckovScan, new_app
from tests.test_app import acknowledgments
from tests.test_approval_construct import vpc_deployment

sys.path.insert(0, str(REPO / "tools"))
import compliance_gate  # noqa: E402

LOG_REASON = "A deliberately bad bucket for the test: its missing access logging is acknowledged."


def bad_template(outdir: Path) -> Path:
    """A bare bucket (no versioning, no public access block, no logging), its logging acknowledged."""
    app = cdk.App(outdir=str(outdir))
    bucket = s3.CfnBucket(cdk.Stack(app, "Bad"), "Bucket")
    acknowledge(bucket, ["CKV_AWS_18"], LOG_REASON)
    return Path(app.synth().get_stack_by_name("Bad").template_full_path)


def vpc_approval_template(outdir: Path) -> Path:
    """An ApprovalDeployment whose handlers run in a VPC (not in the reference app)."""
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    stack = vpc_deployment(app)
    return Path(app.synth().get_stack_by_name(stack.stack_name).template_full_path)


@pytest.fixture(scope="module")
def findings(reference_app: cdk.App, checkov: CheckovScan, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, list[CheckovFinding]]:
    """One checkov run (it takes seconds to start) over the reference app's templates, the bad one
    and a VPC approval deployment: template name -> findings."""
    templates = sorted(Path(reference_app.outdir).glob("*.template.json"))
    bad = bad_template(tmp_path_factory.mktemp("bad.out"))
    vpc = vpc_approval_template(tmp_path_factory.mktemp("vpc.out"))
    found: dict[str, list[CheckovFinding]] = {path.name: [] for path in [*templates, bad, vpc]}
    for finding in checkov([*templates, bad, vpc]):
        found[Path(finding.template).name].append(finding)
    return found


def test_the_reference_app_has_no_unacknowledged_checkov_finding(findings: dict[str, list[CheckovFinding]]) -> None:
    reference = {name: [str(f) for f in found] for name, found in findings.items()
                 if name not in ("Bad.template.json", "VpcApproval.template.json")}
    assert len(reference) == 5
    assert reference == {name: [] for name in reference}


def test_handlers_in_a_vpc_have_no_unacknowledged_checkov_finding(findings: dict[str, list[CheckovFinding]]) -> None:
    # Only the approval deployment's resources: the VPC's own custom resource is aws-cdk-lib's.
    assert [str(f) for f in findings["VpcApproval.template.json"]
            if not f.logical_id.startswith("CustomVpcRestrictDefaultSG")] == []


def test_checkov_fails_a_bad_template_and_honours_its_acknowledgment(
        findings: dict[str, list[CheckovFinding]]) -> None:
    checks = {finding.check_id for finding in findings["Bad.template.json"]}
    # Versioning, and the four public access block settings.
    assert {"CKV_AWS_21", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"} <= checks
    assert "CKV_AWS_18" not in checks
    (finding,) = [f for f in findings["Bad.template.json"] if f.check_id == "CKV_AWS_21"]
    assert (finding.logical_id, finding.resource_type) == ("Bucket", "AWS::S3::Bucket")


def test_the_gate_uses_the_checkov_of_make_and_counts_the_reference_acknowledgments(
        reference_app: cdk.App) -> None:
    assert compliance_gate.CHECKOV == CHECKOV and CHECKOV.exists()
    templates = sorted(Path(reference_app.outdir).glob("*.template.json"))
    acknowledged = [check for template in templates
                    for checks in acknowledged_checks(json.loads(template.read_text())).values() for check in checks]
    summaries = compliance_gate.stack_summaries(Path(reference_app.outdir))
    assert sum(summary.acknowledged for summary in summaries) == len(acknowledged) > 0


def test_acknowledge_writes_checkov_skips_on_the_resource_and_records_them(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Bucket")
    acknowledge(bucket, ["CKV_AWS_18", "AwsSolutions-S1"], "The first reason, long enough to say something specific.")
    # On the resource itself: the skips of both scopes are kept.
    acknowledge(bucket.node.default_child, ["CKV_AWS_21"],  # type: ignore[arg-type]
                "The second reason, also long enough to say something specific.")
    (resource,) = Template.from_stack(stack).find_resources("AWS::S3::Bucket").values()
    assert resource["Metadata"]["checkov"] == {"skip": [
        {"id": "CKV_AWS_18", "comment": "The first reason, long enough to say something specific."},
        {"id": "CKV_AWS_21", "comment": "The second reason, also long enough to say something specific."},
    ]}
    # Listed with the cdk-nag ones (tests/acknowledgments.json): cdk-nag ids stay out of the template.
    found = acknowledgments(stack.node.root)  # type: ignore[arg-type]
    assert set(found["TestStack/Bucket"]) == {"CKV_AWS_18", "AwsSolutions-S1"}
    assert set(found["TestStack/Bucket/Resource"]) == {"CKV_AWS_21"}


def test_acknowledge_refuses_a_checkov_id_on_a_construct_without_a_resource(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError, match=r"TestStack: checkov acknowledgments CKV_AWS_18 need a CloudFormation "
                                         r"resource"):
        acknowledge(stack, ["CKV_AWS_18"], "A reason that is long enough to be specific about it.")


# -- the scan, with a stand-in for checkov (fast, and its output is set by the test) ---------------

def fake_checkov(tmp_path: Path, report: dict[str, Any] | str) -> tuple[Path, Path]:
    """An executable that logs each run to ``runs`` and prints ``report`` (JSON, or text as is)."""
    runs = tmp_path / "runs"
    executable = tmp_path / "checkov"
    output = report if isinstance(report, str) else json.dumps(report)
    executable.write_text(f"#!{sys.executable}\nimport sys\nopen({str(runs)!r}, 'a').write(' '.join(sys.argv[1:]) + "
                          f"'\\n')\nprint({output!r})\n")
    executable.chmod(0o755)
    return executable, runs


def template_file(tmp_path: Path, name: str, resources: int) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Resources": {f"Topic{i}": {"Type": "AWS::SNS::Topic"} for i in range(resources)}}))
    return path


def report(template: Path, *, resource_count: int, parsing_errors: int = 0) -> dict[str, Any]:
    return {
        "check_type": "cloudformation",
        "results": {"failed_checks": [{
            "check_id": "CKV_AWS_26", "check_name": "Ensure all data stored in the SNS topic is encrypted",
            "file_abs_path": str(template), "resource": "AWS::SNS::Topic.Topic0",
        }]},
        "summary": {"failed": 1, "resource_count": resource_count, "parsing_errors": parsing_errors},
    }


def test_the_scan_runs_checkov_once_per_template_content(tmp_path: Path) -> None:
    template = template_file(tmp_path, "a.template.json", 1)
    executable, runs = fake_checkov(tmp_path, report(template, resource_count=1))
    expected = [CheckovFinding(str(template), "Topic0", "AWS::SNS::Topic", "CKV_AWS_26",
                               "Ensure all data stored in the SNS topic is encrypted")]
    cache = tmp_path / "cache"
    assert scan_templates([template], executable=executable, cache_dir=cache) == expected
    assert scan_templates([template], executable=executable, cache_dir=cache) == expected
    assert runs.read_text() == (f"--framework cloudformation --quiet --compact --skip-download --output json "
                                f"--file {template.resolve()}\n")
    # A changed template (an acknowledgment is part of it) is scanned again; without a cache, always.
    template.write_text(template.read_text() + "\n")
    scan_templates([template], executable=executable, cache_dir=cache)
    scan_templates([template], executable=executable)
    assert len(runs.read_text().splitlines()) == 3


@pytest.mark.parametrize(("resource_count", "parsing_errors"), [(0, 0), (1, 1)])
def test_the_scan_fails_when_checkov_did_not_read_every_resource(
        tmp_path: Path, resource_count: int, parsing_errors: int) -> None:
    template = template_file(tmp_path, "a.template.json", 1)
    executable, _ = fake_checkov(tmp_path, report(template, resource_count=resource_count,
                                                  parsing_errors=parsing_errors))
    with pytest.raises(RuntimeError, match=rf"checkov read {resource_count} of 1 resources with {parsing_errors} "
                                           "parsing errors"):
        scan_templates([template], executable=executable)


def test_the_scan_fails_when_checkov_does_not_run(tmp_path: Path) -> None:
    template = template_file(tmp_path, "a.template.json", 1)
    executable, _ = fake_checkov(tmp_path, "Traceback: no module named checkov")
    with pytest.raises(RuntimeError, match="checkov failed to run"):
        scan_templates([template], executable=executable)
    with pytest.raises(RuntimeError, match=r"checkov not found at .*missing \(make .make/checkov installs it\)"):
        scan_templates([template], executable=tmp_path / "missing")


def test_apply_compliance_gate_runs_checkov_when_given_one(tmp_path: Path) -> None:
    """A finding fails the synth like a cdk-nag error (checkov stood in for: the output is the test's)."""
    app = new_app()
    cdk.Stack(app, "Topics")
    template = Path(app.outdir) / "Topics.template.json"
    executable, runs = fake_checkov(tmp_path, report(template, resource_count=0))
    apply_compliance_gate(app, checkov_executable=executable)
    with pytest.raises(Exception, match="CKV_AWS_26"):
        app.synth()
    assert runs.exists()
