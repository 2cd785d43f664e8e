"""Where the package's Lambda handler sources are, installed (wheel) or from the repo (editable)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Sequence
from fnmatch import fnmatch
from importlib.resources import as_file, files
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

#: The Lambda runtime of every handler: the newest Python that aws-cdk-lib 2.275 knows
#: (cdk-nag's AwsSolutions-L1 asks for the latest runtime of the family).
HANDLER_RUNTIME = lambda_.Runtime.PYTHON_3_14

# Byte-compiled files differ between machines and would change the asset hash, so the
# template, from run to run: they are never part of the asset.
_EXCLUDE = ["__pycache__", "*.pyc"]


def handler_path(name: str) -> Path:
    """The folder of handler ``name`` (``lambda/<name>`` in the repo)."""
    with as_file(files("cdk_sagemaker_inference.handlers") / name) as path:
        if not (path / "index.py").is_file():
            raise FileNotFoundError(f"no handler {name!r}: {path / 'index.py'} is missing")
        return Path(path)


def handler_code(name: str, modules: Sequence[str] = ()) -> lambda_.Code:
    """The Lambda code asset of handler ``name``; its entry point is ``index.handler``.

    :param modules: CDK-free modules of this package (e.g. ``"_names.py"``) the handler imports
        at its top level: a Lambda ships only its own folder, so they are copied beside
        ``index.py`` (the handler imports them by bare name in Lambda and from the package in
        tests and the wheel). Default: none. The asset's hash is its content, so the copy's
        folder does not change the template. The copy is named after the digest of everything in
        it and appears whole (written aside, then renamed): several processes synthesizing at once
        (test workers, ``python app.py`` beside a test) never see one half written.
    """
    source = handler_path(name)
    if not modules:
        return lambda_.Code.from_asset(str(source), exclude=_EXCLUDE)
    package = files("cdk_sagemaker_inference")
    relative_files = sorted(p.relative_to(source) for p in source.rglob("*") if p.is_file())
    contents = [(relative.as_posix(), (source / relative).read_bytes()) for relative in relative_files
                if not any(fnmatch(part, pattern) for part in relative.parts for pattern in _EXCLUDE)]
    contents += [(module, package.joinpath(module).read_bytes()) for module in modules]
    digest = hashlib.sha256(b"".join(n.encode() + b"\0" + text for n, text in contents))
    staging = Path(tempfile.gettempdir()) / f"cdk-sagemaker-inference-{name}-{digest.hexdigest()[:16]}"
    if not staging.is_dir():
        partial = Path(tempfile.mkdtemp(prefix=f"{staging.name}.", dir=staging.parent))
        # What was read for the digest is what is written: the folder holds exactly the hashed files.
        for relative, text in contents:
            (partial / relative).parent.mkdir(parents=True, exist_ok=True)
            (partial / relative).write_bytes(text)
        try:
            partial.rename(staging)
        except OSError:  # another process renamed the same content there first
            shutil.rmtree(partial)
    return lambda_.Code.from_asset(str(staging), exclude=_EXCLUDE)
