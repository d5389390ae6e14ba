from tests.care.conftest import sos_device  # noqa: F401  (fixture)
from tests.notify.standin import providers  # noqa: F401  (fixture)
