"""The compliance gate over a synthesized cloud assembly, and the summary `make synth` prints.

cdk-nag and aws-cdk-lib's own template validation already ran inside the synth (a finding makes
it fail); this reads their report, runs cfn-lint and checkov over every template (in parallel; checkov
from its own virtualenv, its results cached by template content), and prints one line a stack.
Exit status 1 when any finding is left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk_sagemaker_inference.checkov_scan import CheckovFinding, acknowledged_checks, scan_templates
from cdk_sagemaker_inference.wiring import check_template_files

REPO = Path(__file__).resolve().parent.parent
CFNLINT_CONFIG = REPO / ".cfnlintrc.yaml"
#: checkov in a virtualenv of its own (`make .make/checkov`): it pins a boto3 older than ours.
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
#: checkov's results by template content: an unchanged template is not scanned again (synth is
#: deterministic, and an acknowledgment is part of the template, so it changes the key).
CHECKOV_CACHE = REPO / ".make" / "checkov-cache"


@dataclass(frozen=True)
class StackSummary:
    name: str
    resources: int
    template_bytes: int
    warnings: int
    template: Path
    #: checkov findings the template acknowledges (its resources' checkov skips)
    acknowledged: int


def stack_summaries(assembly: Path) -> list[StackSummary]:
    """One summary per stack template in the assembly and its nested assemblies (a pipeline's
    stages), in manifest order."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    summaries = []
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] == "cdk:cloud-assembly":
            summaries.extend(stack_summaries(assembly / artifact["properties"]["directoryName"]))
            continue
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        template_path = assembly / artifact["properties"]["templateFile"]
        template = json.loads(template_path.read_text())
        warnings = sum(
            1
            for entries in artifact.get("metadata", {}).values()
            for entry in entries
            if entry["type"] == "aws:cdk:warning"
        )
        summaries.append(StackSummary(
            artifact.get("displayName", name), len(template.get("Resources", {})), template_path.stat().st_size,
            warnings, template_path, sum(len(checks) for checks in acknowledged_checks(template).values()),
        ))
    return summaries


#: Warnings this project raises on purpose, shown in the summary but not failing the gate: an
#: Elastic Inference variant is declared correctly and flagged as end of life.
DELIBERATE_WARNINGS = frozenset({"Annotation::cdk-sagemaker-inference:elasticInferenceRetired"})


def validation_violations(assembly: Path) -> list[dict[str, Any]]:
    """Violations in the policy-validation report (cdk-nag packs, CloudFormation-Validate, warnings)."""
    report_path = assembly / "validation-report.json"
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text())
    return [violation for plugin in report.get("pluginReports", []) for violation in plugin.get("violations", [])]


def validation_findings(assembly: Path) -> int:
    """Violations that fail the gate: all but DELIBERATE_WARNINGS."""
    return sum(1 for v in validation_violations(assembly) if v["ruleName"] not in DELIBERATE_WARNINGS)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, where the OS has one: a container's limit)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def cfn_lint(templates: list[Path], processes: int | None = None) -> list[str]:
    """cfn-lint's findings over ``templates``, one line each, sorted (empty: clean).

    cfn-lint lints one template after another, and `make synth` waits on it: the templates are
    dealt, largest first, to ``processes`` cfn-lint processes (default: ``usable_cpus()``; each
    costs about a CPU-second to start).
    """
    if processes is not None and processes < 1:
        raise ValueError(f"processes must be at least 1, got {processes}")
    if not templates:
        return []
    count = min(processes or usable_cpus(), len(templates))
    largest_first = sorted(templates, key=lambda path: path.stat().st_size, reverse=True)
    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(_cfn_lint_run, [largest_first[start::count] for start in range(count)]))
    findings: list[str] = []
    for result in results:
        if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14) and not result.stdout:
            raise RuntimeError(f"cfn-lint failed to run: {result.stderr.strip()}")
        findings.extend(line for line in result.stdout.splitlines() if line.strip())
    return sorted(findings)


def _cfn_lint_run(templates: list[Path]) -> subprocess.CompletedProcess[str]:
    """One cfn-lint process over ``templates`` with the gate's configuration."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(CFNLINT_CONFIG), "--format",
         "parseable", *map(str, templates)],
        capture_output=True, text=True, check=False,
    )


def checkov(templates: list[Path]) -> list[CheckovFinding]:
    """checkov's unacknowledged findings over ``templates`` (empty: clean)."""
    return scan_templates(templates, executable=CHECKOV, cache_dir=CHECKOV_CACHE)


def main(argv: list[str]) -> int:
    assembly = Path(argv[1] if len(argv) > 1 else "cdk.out")
    summaries = stack_summaries(assembly)
    nag = validation_findings(assembly)
    templates = [summary.template for summary in summaries]
    # checkov takes seconds to start: it runs while cfn-lint does (both are other processes).
    with ThreadPoolExecutor(max_workers=1) as pool:
        scanned = pool.submit(checkov, templates)
        lint = cfn_lint(templates)
        checks = [str(finding) for finding in scanned.result()]
    # The gate's validation plugin ran it inside the synth already; listed here for the summary.
    wiring = [str(f) for f in check_template_files(s.template for s in summaries)]

    width = max((len(s.name) for s in summaries), default=5)
    print(f"\n{'stack':<{width}}  resources  template  warnings")
    for s in summaries:
        print(f"{s.name:<{width}}  {s.resources:>9}  {s.template_bytes / 1024:>6.1f}KB  {s.warnings:>8}")
    print(f"\ncompliance gate: cdk-nag (AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1) "
          f"+ CloudFormation-Validate: {nag} findings; cfn-lint: {len(lint)} findings; "
          f"wiring: {len(wiring)} findings; checkov: {len(checks)} findings "
          f"({sum(s.acknowledged for s in summaries)} acknowledged)")
    for line in [*lint, *wiring, *checks]:
        print(f"  {line}")
    for violation in validation_violations(assembly):
        paths = ", ".join(c["constructPath"] for c in violation.get("violatingConstructs", []))
        flag = "flagged" if violation["ruleName"] in DELIBERATE_WARNINGS else violation["severity"]
        print(f"  {flag}: {violation['ruleName']} at {paths}")
    return 1 if nag or lint or wiring or checks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
