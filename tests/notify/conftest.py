from tests.care.conftest import sos_device  # noqa: F401  (fixture)
