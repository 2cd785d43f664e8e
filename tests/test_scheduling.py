"""How `make test` splits the suite between its workers (tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FILES_USING_THE_REFERENCE_APP, xdist_scope


def test_the_files_in_the_reference_apps_unit_are_exactly_those_whose_tests_use_it(
    request: pytest.FixtureRequest,
) -> None:
    """Checked by fixture, not by text: a file that gets the app through another fixture must be in
    the unit too. Over the whole suite only (as `make test` collects it)."""
    collected = {item.nodeid.partition("::")[0] for item in request.session.items}
    if collected != {f"tests/{path.name}" for path in Path(__file__).parent.glob("test_*.py")}:
        pytest.skip("needs every test file collected, as `make test` does")
    using = {item.nodeid.partition("::")[0] for item in request.session.items
             if "reference_app" in getattr(item, "fixturenames", ())}
    assert using == FILES_USING_THE_REFERENCE_APP
    assert "tests/test_app.py" in using and "tests/test_names.py" not in using


def test_a_file_using_the_reference_app_is_in_its_unit_and_any_other_file_is_a_unit_of_its_own() -> None:
    assert xdist_scope("tests/test_app.py::test_a") == xdist_scope("tests/test_checkov.py::test_b") == "reference_app"
    assert xdist_scope("tests/test_names.py::test_a[x::y]") == "tests/test_names.py"
    assert xdist_scope("tests/test_names.py::Class::test_b") == "tests/test_names.py"
