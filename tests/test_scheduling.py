"""How `make test` splits the suite between its workers (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import FILES_USING_THE_REFERENCE_APP, xdist_scope


def test_every_file_that_uses_the_reference_app_shares_one_unit_of_work(request: pytest.FixtureRequest) -> None:
    """Checked by fixture, not by name, over what this run collected (`make test` collects every
    file): a file that gets the app through another fixture must be in the unit too."""
    using = {item.nodeid.partition("::")[0] for item in request.session.items
             if "reference_app" in getattr(item, "fixturenames", ())}
    assert using <= FILES_USING_THE_REFERENCE_APP
    assert {"tests/test_app.py", "tests/test_checkov.py"} <= FILES_USING_THE_REFERENCE_APP
    assert {xdist_scope(f"{file}::test") for file in FILES_USING_THE_REFERENCE_APP} == {"reference_app"}


def test_every_other_file_is_a_unit_of_its_own() -> None:
    assert xdist_scope("tests/test_names.py::test_a[x::y]") == "tests/test_names.py"
    assert xdist_scope("tests/test_names.py::Class::test_b") == "tests/test_names.py"
