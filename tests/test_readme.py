"""Every ```python example in README.md runs against a fresh stack and synthesizes."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from tests.conftest import REPO, new_app

EXAMPLES = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.DOTALL)


def test_the_readme_has_construct_examples() -> None:
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_readme_example_synthesizes(example: str) -> None:
    stack = cdk.Stack(new_app(), "ReadmeStack", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    exec(compile(example, "README.md", "exec"), {"stack": stack})
    assert Template.from_stack(stack).to_json()["Resources"]
