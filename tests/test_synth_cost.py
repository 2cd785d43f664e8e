"""What one ``make bench`` slice costs to synthesize, held by ceilings on deterministic counts.

Timings are noisy on a shared machine; the number of jsii round trips (every call into aws-cdk-lib
crosses to Node and back) and of constructs is not. A change that raises them past a ceiling
either finds a cheaper way or raises the ceiling here on purpose, saying why in its commit.
"""

from __future__ import annotations

import statistics

import pytest

from tools import bench

#: Measured 465 in a fresh process after the synth-cost work (629 before it), 497 once the
#: endpoint's log-group grants, the silent-rollback alarm and checkov's acknowledgments landed, 357
#: once prebuilt images got a mapping each, written whole, and a URI without a producer, 272 once
#: statements and acknowledgments were batched and ARNs formatted in Python, 276 with the monitor's
#: DescribeStacks and EventInvokeConfig; the alpha peer makes 153 (96 without what our slice adds).
#: A little slack: a process that synthesized other apps first makes a few less.
JSII_CALLS_CEILING = 290
#: 113: the alpha peer's 78 plus the alarms, dead-letter queues and log group it lacks, the
#: silent-rollback metric filter and alarm (4 constructs, issue 7 item 8), a mapping per
#: prebuilt image (the slice's scikit-learn and XGBoost images shared one before), and the
#: monitor's bounded asynchronous retries (2, an EventInvokeConfig; the peer declares it too).
CONSTRUCTS_CEILING = 113


@pytest.fixture(scope="module")
def slice_counts() -> bench.Counts:
    """One slice, synthesized once for the tests here."""
    return bench.count("slice", 1)


def test_a_slice_stays_within_its_jsii_calls_and_constructs(slice_counts: bench.Counts) -> None:
    counts = slice_counts
    assert counts.resources == 43, "the slice declares other resources: update bench.EXTRAS and the README"
    assert counts.jsii_calls <= JSII_CALLS_CEILING, f"{counts.jsii_calls} jsii calls for one slice"
    assert counts.constructs <= CONSTRUCTS_CEILING, f"{counts.constructs} constructs for one slice"


def test_the_alpha_peer_declares_what_a_slice_declares(slice_counts: bench.Counts) -> None:
    """The bench compares like with like: the peer declares as many resources as a slice (the same types)."""
    assert bench.count("alpha", 1).resources == slice_counts.resources == 43


def test_the_median_interval_spans_the_median_within_the_values() -> None:
    ratios = [0.91, 0.95, 0.97, 0.98, 0.99, 1.0, 1.01, 1.02, 1.04, 1.12]
    low, high = bench.median_interval(ratios)
    assert min(ratios) <= low < statistics.median(ratios) < high <= max(ratios)
    assert bench.median_interval(ratios) == (low, high), "the interval is reproducible from the ratios"


def test_the_median_interval_narrows_with_more_rounds() -> None:
    few = [0.9 + 0.02 * step for step in range(11)]
    few_low, few_high = bench.median_interval(few)
    many_low, many_high = bench.median_interval(few * 10)
    assert few_low < many_low <= many_high < few_high
    assert bench.median_interval([1.0] * 7) == (1.0, 1.0)
