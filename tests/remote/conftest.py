import pytest

from grader.remote.forkserver import ForkServer


@pytest.fixture(scope="module")
def server():
    """One fork server for a test module's learner processes."""
    with ForkServer() as running:
        yield running
