"""The audit helpers: a create, an update that records only what changed (and
nothing when nothing did), a delete, each with the actor and request id."""

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.registry.models import Organisation


def test_created_updated_deleted(personas, places):
    admin = personas["admin"]
    unit = Organisation.objects.create(
        code="u1", name="驻地单位", kind="paired_unit", place=places["community_a"]
    )
    audit.created(unit, actor=admin, fields=["name", "place"])
    assert audit.updated(unit, actor=admin, name="驻地单位") == {}
    assert audit.updated(unit, actor=admin, name="新名称") == {"name": ["驻地单位", "新名称"]}
    unit.refresh_from_db()
    assert unit.name == "新名称"
    audit.deleted(unit, actor=admin, fields=["name"])
    rows = AuditLog.objects.filter(object_id=str(unit.pk)).order_by("id")
    assert [(r.action, r.user, r.changes) for r in rows] == [
        ("create", admin, {"name": [None, "驻地单位"], "place": [None, places["community_a"].pk]}),
        ("update", admin, {"name": ["驻地单位", "新名称"]}),
        ("delete", admin, {"name": ["新名称", None]}),
    ]
