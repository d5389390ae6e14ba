from tests.cases.conftest import case_a, fire_lane, rider  # noqa: F401  (fixtures)
from tests.risks.conftest import located, new_hazard  # noqa: F401  (fixtures)
