import matplotlib
import pytest

matplotlib.use("Agg")

from inspect_synthetic import make_trace  # noqa: E402  (tests/inspect is on sys.path under pytest's rootdir import mode)


@pytest.fixture
def trace():
    return make_trace()
