"""The reference app's configuration: one typed, validated view of the CDK context.

Values come from ``cdk.json`` ("context") and from ``cdk synth -c key=value`` (which arrive as
strings). Keys are plain snake_case names; any other snake_case key is a typo and stops synth,
while CDK's own keys (feature flags ``@aws-cdk/...``, ``aws:cdk:...``, lookup caches with ``:``)
are left alone.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from cdk_sagemaker_inference._validation import ValidationError, check_pattern, check_range, fail

_WHERE = "config"
_OUR_KEY = re.compile(r"[a-z][a-z0-9_]*")
_REGION = r"[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}"


@dataclasses.dataclass(frozen=True)
class AppConfig:
    """What the reference app deploys. Every field is a context key of the same name."""

    #: Prefix of stack names and of the names SageMaker resources are given. 1-20 characters,
    #: letters, digits and hyphens, starting with a letter.
    name_prefix: str = "inference"
    #: Target account (12 digits). Default: none, the stacks are environment-agnostic.
    account: str | None = None
    #: Target region, e.g. ``eu-west-1``. Default: none, the stacks are environment-agnostic.
    region: str | None = None
    #: Deploy the RealtimeInferenceStack that serves the bundled example pipeline.
    include_realtime: bool = True
    #: Deploy the ElasticInferenceStack (EI is end-of-life at AWS). Default: false.
    include_elastic_inference: bool = False
    #: Deploy the ModelRegistryStack and approval-triggered deployment.
    include_registry: bool = True
    #: Instance type of the real-time endpoint.
    endpoint_instance_type: str = "ml.m5.large"
    #: Instances the endpoint starts with (1-100).
    endpoint_initial_instance_count: int = 1
    #: Autoscaling bounds of the endpoint (1-100, min <= max).
    endpoint_min_capacity: int = 1
    endpoint_max_capacity: int = 4
    #: Invocations a minute one instance should take before autoscaling adds one (1-100000).
    endpoint_invocations_per_instance: int = 200
    #: Percentage of requests data capture records (0-100).
    data_capture_sampling_percentage: int = 20

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> AppConfig:
        """Reads and validates the config; raises ValidationError naming the key, value and rule."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in context.items():
            if not _OUR_KEY.fullmatch(key):
                continue
            if key not in fields:
                raise fail(_WHERE, key, "a known key: " + ", ".join(sorted(fields)), raw)
            values[key] = _coerce(key, raw, fields[key].type)
        config = cls(**values)
        config._validate()
        return config

    def _validate(self) -> None:
        check_pattern(_WHERE, "name_prefix", self.name_prefix, r"[a-zA-Z][a-zA-Z0-9-]{0,19}",
                      "1-20 letters, digits or hyphens starting with a letter (SageMaker names allow no '_')")
        check_pattern(_WHERE, "account", self.account, r"\d{12}", "a 12-digit AWS account ID")
        check_pattern(_WHERE, "region", self.region, _REGION, "an AWS region name such as eu-west-1")
        check_pattern(_WHERE, "endpoint_instance_type", self.endpoint_instance_type,
                      r"ml\.[a-z0-9-]+\.[a-z0-9]+", "a SageMaker instance type such as ml.m5.large")
        check_range(_WHERE, "endpoint_initial_instance_count", self.endpoint_initial_instance_count, 1, 100)
        check_range(_WHERE, "endpoint_min_capacity", self.endpoint_min_capacity, 1, 100)
        check_range(_WHERE, "endpoint_max_capacity", self.endpoint_max_capacity, self.endpoint_min_capacity, 100)
        check_range(_WHERE, "endpoint_invocations_per_instance", self.endpoint_invocations_per_instance, 1, 100000)
        if self.include_registry and not self.include_realtime:
            raise fail(_WHERE, "include_registry", "false when include_realtime is false (approvals deploy "
                       "to the real-time endpoint)", self.include_registry)
        check_range(_WHERE, "data_capture_sampling_percentage", self.data_capture_sampling_percentage, 0, 100)


def _coerce(key: str, raw: Any, annotation: Any) -> Any:
    """Turns a context value (typed from cdk.json, a string from ``-c``) into the field's type."""
    kind = str(annotation)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise fail(_WHERE, key, "true or false", raw)
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw):
            return int(raw)
        raise fail(_WHERE, key, "a whole number", raw)
    if raw is None and "None" in kind:
        return None
    if isinstance(raw, str):
        return raw
    raise fail(_WHERE, key, "a string", raw)


__all__ = ["AppConfig", "ValidationError"]
