"""checkov's CloudFormation checks over synthesized templates: the scan and its cache (no CDK here:
``tools/compliance_gate.py`` uses it without starting jsii; the validation plugin is in ``compliance.py``).

checkov is not a dependency of this package: checkov 3.x pins its own boto3 (3.3.30 pins 1.35.49,
older than the one this package needs), so it lives in a virtualenv of its own and runs as a
program. ``tools/compliance_gate.py`` (what ``make synth`` runs) scans every template with it, and
``apply_compliance_gate(app, checkov_executable=...)`` adds ``CheckovPlugin`` to your app.

A finding is acknowledged like a cdk-nag one, with ``acknowledge(construct, ["CKV_AWS_117"], reason)``:
checkov ids are written into the resource's template ``Metadata`` (``checkov: {skip: [{id, comment}]}``),
which checkov honours. Since the acknowledgment is in the template, the template bytes alone decide
the result: the cache is keyed by them and by the checkov installation.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: How checkov is run: the CloudFormation checks only, failed checks only, JSON on stdout, and no
#: download of Prisma Cloud's guidelines (the gate runs offline; without it checkov tries and logs).
CHECKOV_ARGS = ("--framework", "cloudformation", "--quiet", "--compact", "--skip-download", "--output", "json")

#: The prefixes of checkov's check ids (single-resource and graph checks), which ``acknowledge``
#: writes into the template rather than into the construct tree.
CHECKOV_ID_PREFIXES = ("CKV_", "CKV2_")

#: The template ``Metadata`` key checkov reads its skips from.
CHECKOV_METADATA_KEY = "checkov"


@dataclass(frozen=True)
class CheckovFinding:
    """A failed checkov check: ``check_id`` on the resource ``logical_id`` of ``template`` (its resolved path)."""

    template: str
    logical_id: str
    resource_type: str
    check_id: str
    check_name: str

    def __str__(self) -> str:
        return f"{Path(self.template).name}: {self.check_id} on {self.logical_id} ({self.resource_type}): " \
               f"{self.check_name}"


def is_checkov_id(rule_id: str) -> bool:
    """Whether ``rule_id`` names a checkov check (``CKV_AWS_117``, ``CKV2_AWS_5``)."""
    return rule_id.startswith(CHECKOV_ID_PREFIXES)


def acknowledged_checks(template: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """The checkov skips of a template: logical id -> check id -> comment."""
    found: dict[str, dict[str, str]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        for skip in resource.get("Metadata", {}).get(CHECKOV_METADATA_KEY, {}).get("skip", []):
            found.setdefault(logical_id, {})[skip["id"]] = skip.get("comment", "")
    return found


def scan_templates(
    templates: Iterable[str | os.PathLike[str]], *, executable: str | os.PathLike[str], cache_dir: Path | None = None
) -> list[CheckovFinding]:
    """Runs checkov over ``templates`` and returns the failed checks (empty: clean).

    :param executable: the ``checkov`` program (e.g. ``.venv-checkov/bin/checkov``).
    :param cache_dir: where results are kept, one file per template content. Default: no cache. A
        template whose bytes were scanned before by the same checkov installation is not scanned
        again; acknowledgments are part of the bytes, so adding one invalidates the entry.
    :raises RuntimeError: checkov did not run, could not parse a template, or did not read every
        resource (a template it does not recognise as CloudFormation would otherwise pass unseen).
    """
    installation = _installation(Path(executable))
    findings: list[CheckovFinding] = []
    pending: dict[Path, Path | None] = {}
    resources = 0  # in the pending templates: checkov must report reading every one
    # Resolved as checkov reports them: a finding names its template the same way, cached or scanned.
    for template in (Path(given).resolve() for given in templates):
        content = template.read_bytes()
        entry = None
        if cache_dir is not None:
            entry = cache_dir / f"{hashlib.sha256(installation + content).hexdigest()}.json"
            if entry.exists():
                findings.extend(CheckovFinding(template=str(template), **cached)
                                for cached in json.loads(entry.read_text()))
                continue
        if template not in pending:
            resources += len(json.loads(content).get("Resources", {}))
        pending[template] = entry
    if pending:
        scanned = _run(Path(executable), list(pending), resources)
        for template, entry in pending.items():
            found = scanned.get(template, [])
            findings.extend(found)
            if entry is not None:
                # Written whole, then renamed: another process (a pytest worker) may read the entry.
                entry.parent.mkdir(parents=True, exist_ok=True)
                partial = entry.with_suffix(f".{os.getpid()}.partial")
                partial.write_text(json.dumps(
                    [{k: v for k, v in asdict(f).items() if k != "template"} for f in found], sort_keys=True))
                partial.replace(entry)
    return sorted(findings, key=lambda f: (f.template, f.logical_id, f.check_id))


def _installation(executable: Path) -> bytes:
    """What identifies the checkov that runs, for the cache key: the program's path, size and time
    (pip rewrites the script when it installs another version), and the arguments."""
    resolved = executable.resolve()
    try:
        stat = resolved.stat()
    except FileNotFoundError:
        raise RuntimeError(f"checkov not found at {executable} (make .make/checkov installs it)") from None
    return f"{resolved}:{stat.st_size}:{stat.st_mtime_ns}:{' '.join(CHECKOV_ARGS)}\n".encode()


def _run(executable: Path, templates: list[Path], expected: int) -> dict[Path, list[CheckovFinding]]:
    """One checkov process over ``templates``, which hold ``expected`` resources: absolute template
    path -> its failed checks."""
    result = subprocess.run(
        [str(executable), *CHECKOV_ARGS, *(arg for template in templates for arg in ("--file", str(template)))],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"checkov failed to run (exit {result.returncode}): {result.stderr.strip()[-2000:]}") \
            from None
    # One report per framework: a dict for one, a list for several.
    reports = reports if isinstance(reports, list) else [reports]
    summary = {key: sum(report.get("summary", {}).get(key, 0) for report in reports)
               for key in ("parsing_errors", "resource_count")}
    if summary["parsing_errors"] or summary["resource_count"] != expected:
        raise RuntimeError(
            f"checkov read {summary['resource_count']} of {expected} resources with {summary['parsing_errors']} "
            f"parsing errors in {', '.join(map(str, templates))}"
        )
    found: dict[Path, list[CheckovFinding]] = {}
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            template = Path(check["file_abs_path"]).resolve()
            resource_type, _, logical_id = check["resource"].partition(".")
            found.setdefault(template, []).append(CheckovFinding(
                template=str(template), logical_id=logical_id, resource_type=resource_type,
                check_id=check["check_id"], check_name=check["check_name"],
            ))
    return found
