from __future__ import annotations

import pytest

from tests.server.fixtures import write_fixture


@pytest.fixture(scope="session")
def viewer_fixture(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("viewer"))


@pytest.fixture(scope="session")
def viewer_state(viewer_fixture):
    from rationalize.server import ViewerState

    return ViewerState.from_paths(viewer_fixture["dataset"], "val", viewer_fixture["results"])


@pytest.fixture(scope="session")
def client(viewer_state):
    from fastapi.testclient import TestClient

    from rationalize.server import create_app

    return TestClient(create_app(viewer_state))
