from __future__ import annotations

import pytest

from tests.server.fixtures import write_fixture


@pytest.fixture(scope="session")
def report_fixture(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("report"))
