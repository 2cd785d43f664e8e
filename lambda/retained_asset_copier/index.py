"""Copies a CDK file asset into a bucket of the app, under a content-addressed key, and never deletes it.

A CloudFormation custom resource (``Custom::RetainedAsset``), invoked synchronously by
CloudFormation. Properties: ``SourceBucket``/``SourceKey`` (the asset in the CDK assets bucket) and
``Bucket``/``Key`` (where it is kept; the key holds the content's SHA-256, so equal keys mean equal
bytes). Create and Update copy the object server-side (multipart above 8 MB, so any size S3 copies)
unless the key already holds an object of the source's size, which leaves an older registered
version's object untouched. An object of another size under the key means something else wrote it:
the handler refuses to overwrite it. Delete does nothing: a registered model version may still
point at the object (the resource is also retained, so CloudFormation does not ask).

Every outcome is answered to CloudFormation's pre-signed ``ResponseURL``; an error answers FAILED
with its message, so a stack never waits for a timeout.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import boto3

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

REQUEST_TYPES = frozenset({"Create", "Update", "Delete"})


@dataclass(frozen=True)
class CopyRequest:
    """Where the asset is and where it is kept."""

    source_bucket: str
    source_key: str
    bucket: str
    key: str

    @property
    def url(self) -> str:
        """``s3://<bucket>/<key>``: the resource's physical id."""
        return f"s3://{self.bucket}/{self.key}"


def parse_request(event: Mapping[str, Any]) -> CopyRequest:
    """The copy a Create or Update asks for; raises ValueError naming what is wrong."""
    request_type = event.get("RequestType")
    if request_type not in REQUEST_TYPES:
        raise ValueError(f"RequestType must be one of {sorted(REQUEST_TYPES)}, got {request_type!r}")
    properties = event.get("ResourceProperties")
    if not isinstance(properties, dict):
        raise ValueError("ResourceProperties must be an object")
    values = {}
    for name in ("SourceBucket", "SourceKey", "Bucket", "Key"):
        value = properties.get(name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"ResourceProperties.{name} must be a non-empty string, got {value!r}")
        values[name] = value
    return CopyRequest(values["SourceBucket"], values["SourceKey"], values["Bucket"], values["Key"])


def kept_size(s3: Any, bucket: str, key: str) -> int | None:
    """The size of the object under ``key``, or None when there is none.

    ListObjectsV2 with the key as prefix, not HeadObject: without s3:ListBucket, S3 answers
    HeadObject of a missing key with 403, and the role may list exactly this prefix.
    """
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    for entry in listing.get("Contents", []):
        if entry["Key"] == key:
            return int(entry["Size"])
    return None


def keep(s3: Any, request: CopyRequest) -> None:
    """Copies the asset to its key unless the key holds it already."""
    size = int(s3.head_object(Bucket=request.source_bucket, Key=request.source_key)["ContentLength"])
    existing = kept_size(s3, request.bucket, request.key)
    if existing == size:
        LOGGER.info("%s already holds the asset (%d bytes): not copied", request.url, size)
        return
    if existing is not None:
        raise RuntimeError(f"{request.url} holds {existing} bytes, the asset has {size}: refusing to overwrite "
                           "a content-addressed key that something else wrote")
    # Server-side, multipart above the transfer threshold; the bucket's default encryption applies.
    s3.copy({"Bucket": request.source_bucket, "Key": request.source_key}, request.bucket, request.key)
    LOGGER.info("copied s3://%s/%s (%d bytes) to %s", request.source_bucket, request.source_key, size, request.url)


def respond(event: Mapping[str, Any], status: str, physical_id: str, reason: str = "") -> None:
    """Answers CloudFormation at the request's pre-signed URL."""
    body = json.dumps({
        "Status": status,
        "Reason": reason[:3000] or status,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId"),
        "RequestId": event.get("RequestId"),
        "LogicalResourceId": event.get("LogicalResourceId"),
        "NoEcho": False,
        "Data": {},
    }).encode()
    request = urllib.request.Request(str(event["ResponseURL"]), data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - CloudFormation's https URL
        LOGGER.info("answered %s: HTTP %s", status, answer.status)


def handle(event: Mapping[str, Any], s3: Any) -> str:
    """Does what the request asks; returns the physical id. Raises on any error but a Delete's."""
    if event.get("RequestType") == "Delete":
        # Never fails: a stack must be able to delete (or roll back) whatever the properties were.
        LOGGER.info("delete of %s: the object is kept", event.get("PhysicalResourceId"))
        return physical_id_of(event)
    request = parse_request(event)
    keep(s3, request)
    return request.url


def physical_id_of(event: Mapping[str, Any]) -> str:
    """The resource's id as the request names it: the one it has, else its logical id (a Create)."""
    return str(event.get("PhysicalResourceId") or event.get("LogicalResourceId") or "retained-asset")


def handler(event: Mapping[str, Any], context: object) -> None:
    """Lambda entry point (CloudFormation custom resource)."""
    physical_id = physical_id_of(event)
    try:
        physical_id = handle(event, boto3.client("s3"))
    except Exception as error:
        LOGGER.exception("could not keep the asset of %s", json.dumps(event, default=str))
        respond(event, "FAILED", physical_id, f"{type(error).__name__}: {error}")
        return
    respond(event, "SUCCESS", physical_id)
