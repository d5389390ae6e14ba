from tests.risks.conftest import located, new_hazard  # noqa: F401  (fixtures)
