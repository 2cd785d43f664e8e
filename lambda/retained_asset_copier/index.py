"""Copies a CDK file asset into a bucket of the app, under a content-addressed key, and never deletes it.

A CloudFormation custom resource (``Custom::RetainedAsset``), invoked asynchronously by
CloudFormation (Lambda retries a failed invocation twice). Properties: ``SourceBucket``/``SourceKey``
(the asset in the CDK assets bucket) and ``Bucket``/``Key`` (where it is kept; the key holds the
content's SHA-256, so equal keys mean equal bytes). Create and Update copy the object server-side
(multipart above 8 MB, so any size S3 copies) unless the key already holds an object of the source's
size, which leaves an older registered version's object untouched. An object of another size under
the key means something else wrote it: the handler refuses to overwrite it. Delete does nothing: a
registered model version may still point at the object (the resource is also retained, so
CloudFormation does not ask).

Every outcome is answered to CloudFormation's pre-signed ``ResponseURL``; an error answers FAILED
with its message. A copy still running ``ANSWER_SECONDS`` before the function's timeout is given up:
the handler answers FAILED and returns while Lambda still runs it (a timed-out invocation would answer
nothing, and be retried); the copy's thread is frozen with the invocation. An answer that cannot be
sent is logged and raised, so Lambda retries the request; if no answer ever arrives, the resource's
ServiceTimeout fails it.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import boto3

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

REQUEST_TYPES = frozenset({"Create", "Update", "Delete"})
#: Seconds before the function's timeout at which a copy still running is given up and FAILED is answered:
#: time to log and send the answer (connecting, sending and reading it each wait at most ``ANSWER_TIMEOUT_SECONDS``).
ANSWER_SECONDS = 60
ANSWER_TIMEOUT_SECONDS = 15


class LambdaContext(Protocol):
    """What the handler reads of Lambda's context object."""

    def get_remaining_time_in_millis(self) -> int: ...


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


def within(seconds: float | None, work: Callable[[], None]) -> None:
    """Runs ``work``; raises TimeoutError if it has not finished after ``seconds`` (None: waits).

    The work runs in a daemon thread that is left behind on a timeout: Python cannot stop it, and the
    handler must return to answer in time. Lambda freezes it with the invocation.
    """
    if seconds is None:
        work()
        return
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    thread = threading.Thread(target=run, name="copy", daemon=True)
    thread.start()
    thread.join(max(seconds, 0.0))
    if thread.is_alive():
        raise TimeoutError(f"the copy did not finish in {max(seconds, 0.0):.0f} s and was given up "
                           f"{ANSWER_SECONDS} s before the function's timeout; deploy again to retry it")
    if failure:
        raise failure[0]


def respond(event: Mapping[str, Any], status: str, physical_id: str, reason: str = "") -> None:
    """Answers CloudFormation at the request's pre-signed URL; logs and raises if the answer is not taken."""
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
    try:
        # urlopen raises on any status but 2xx.
        with urllib.request.urlopen(request, timeout=ANSWER_TIMEOUT_SECONDS) as answer:  # noqa: S310 - https URL
            LOGGER.info("answered %s: HTTP %s", status, answer.status)
    except Exception:
        LOGGER.exception("could not answer %s to CloudFormation for request %s of %s", status,
                         event.get("RequestId"), event.get("LogicalResourceId"))
        raise


def handle(event: Mapping[str, Any], s3: Any, seconds: float | None = None) -> str:
    """Does what the request asks, a copy within ``seconds`` (None: no limit); returns the physical id.

    Raises on any error but a Delete's.
    """
    if event.get("RequestType") == "Delete":
        # Never fails: a stack must be able to delete (or roll back) whatever the properties were.
        LOGGER.info("delete of %s: the object is kept", event.get("PhysicalResourceId"))
        return physical_id_of(event)
    request = parse_request(event)
    within(seconds, lambda: keep(s3, request))
    return request.url


def physical_id_of(event: Mapping[str, Any]) -> str:
    """The resource's id as the request names it: the one it has, else its logical id (a Create)."""
    return str(event.get("PhysicalResourceId") or event.get("LogicalResourceId") or "retained-asset")


def handler(event: Mapping[str, Any], context: LambdaContext) -> None:
    """Lambda entry point (CloudFormation custom resource)."""
    physical_id = physical_id_of(event)
    seconds = context.get_remaining_time_in_millis() / 1000 - ANSWER_SECONDS
    try:
        physical_id = handle(event, boto3.client("s3"), seconds)
    except Exception as error:
        LOGGER.exception("could not keep the asset of %s", json.dumps(event, default=str))
        respond(event, "FAILED", physical_id, f"{type(error).__name__}: {error}")
        return
    respond(event, "SUCCESS", physical_id)
