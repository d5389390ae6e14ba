"""The API against its own OpenAPI document: schemathesis generates requests
for every operation, valid and invalid (a fixed seed, a bounded number per
operation), each sent with the token of one of every role, and fails on any
5xx and on any answer the document does not describe (status, content type,
body schema, headers)."""

from datetime import timedelta

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from civicgrid.access.roles import Role
from civicgrid.access.services import token_issue
from civicgrid.api import api
from civicgrid.care.models import Device
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.risks.hazards import hazard_register
from civicgrid.volunteers.models import Activity, Counter, Item, Volunteer
from civicgrid.web.extensions import MAP_LAYERS
from tests.factories import make_user

# Examples per operation: 79 operations stay within about a minute per engine.
EXAMPLES = 8
# Answers as documented. (Not negative_data_rejection: the API ignores query
# parameters it does not know, as HTTP APIs do.)
CHECKS = [
    not_a_server_error,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
]

schema = openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@pytest.fixture
def one_request_one_transaction():
    """The WSGI handler closes "old" connections at each request's start and
    end; inside a test's transaction that would close the test's own. Django's
    test client disconnects the same receivers while it serves."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(personas, registry, places, one_request_one_transaction):
    """A token for every role, and one real object for each path parameter."""
    users = {persona.role: persona for persona in personas.values() if not persona.is_superuser}
    for role in Role:
        users.setdefault(role, make_user(f"role-{role}", role, scope_place=places["community_a"]))
    tokens = [token_issue(actor=user, name="schemathesis")[1] for user in users.values()]
    tokens.append(token_issue(actor=personas["root"], name="schemathesis")[1])
    staff = personas["staff_a"]
    category = Category.objects.create(
        code="fire_lane", name="消防通道占用", group="安全", public=True
    )
    case, _ = case_report(
        channel=Channel.API,
        category=category,
        description="消防通道被车辆占用",
        reporter=staff,
        place=places["grid_a"],
    )
    hazard = hazard_register(
        actor=staff, kind="fire", severity="major", description="楼道堆物", place=places["grid_a"]
    )
    volunteer = Volunteer.objects.create(name="尼玛", community=places["community_a"])
    counter = Counter.objects.create(name="兑换点", place=places["community_a"])
    item = Item.objects.create(counter=counter, name="书包", price=50, stock=10)
    start = timezone.now() + timedelta(hours=1)
    activity = Activity.objects.create(
        title="打扫卫生",
        place=places["community_a"],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        created_by=staff,
    )
    device = Device.objects.create(ident="SOS-0001", kind=Device.Kind.CALL_BUTTON)
    ids = {
        "case_id": case.pk,
        "household_id": registry["household_a"].pk,
        "resident_id": registry["resident_a"].pk,
        "place_id": places["grid_a"].pk,
        "hazard_id": hazard.pk,
        "volunteer_id": volunteer.pk,
        "activity_id": activity.pk,
        "device_id": device.pk,
        "layer": min(MAP_LAYERS.values(), key=lambda layer: layer.order).name,
        "item_id": item.pk,
    }
    return {"tokens": tokens, "ids": ids}


@schema.parametrize()
@schema.given(who=st.integers(min_value=0, max_value=len(Role)), real=st.booleans())
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, who, real, world):
    if real:
        # Half the examples reach real objects rather than 404s.
        for name in case.path_parameters or {}:
            if name in world["ids"]:
                case.path_parameters[name] = world["ids"][name]
    token = world["tokens"][who % len(world["tokens"])]
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    case.validate_response(response, checks=CHECKS)
