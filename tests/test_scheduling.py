"""How `make test` splits the suite between its workers (tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import FILES_USING_THE_REFERENCE_APP, files_using_the_reference_app_unlisted, xdist_scope


@dataclass
class CollectedItem:
    """What the check reads of a collected test."""

    nodeid: str
    fixturenames: list[str]


def test_a_file_that_gets_the_reference_app_through_another_fixture_is_reported() -> None:
    """Checked by fixture, not by text: every run's collection fails on such a file (conftest)."""
    items = [CollectedItem("tests/test_app.py::test_a", ["reference_app"]),
             CollectedItem("tests/test_names.py::test_b", ["tmp_path"]),
             CollectedItem("tests/test_new.py::test_c", ["template", "reference_app"])]
    assert files_using_the_reference_app_unlisted(items) == ["tests/test_new.py"]  # type: ignore[arg-type]


def test_this_runs_collection_left_out_no_file(request: pytest.FixtureRequest) -> None:
    assert files_using_the_reference_app_unlisted(request.session.items) == []
    assert "tests/test_app.py" in FILES_USING_THE_REFERENCE_APP
    assert "tests/test_names.py" not in FILES_USING_THE_REFERENCE_APP


def test_a_file_using_the_reference_app_is_in_its_unit_and_any_other_file_is_a_unit_of_its_own() -> None:
    assert xdist_scope("tests/test_app.py::test_a") == xdist_scope("tests/test_checkov.py::test_b") == "reference_app"
    assert xdist_scope("tests/test_names.py::test_a[x::y]") == "tests/test_names.py"
    assert xdist_scope("tests/test_names.py::Class::test_b") == "tests/test_names.py"
