"""Test set-up for objects on a flow (``lib.flow``)."""


def put_in_stage(obj, stage: str):
    """Put ``obj`` in ``stage`` without its moves, for a test's starting
    point only. The base manager has no stage guard."""
    type(obj)._base_manager.filter(pk=obj.pk).update(**{obj.stage_field: stage})
    obj.refresh_from_db()
    return obj
