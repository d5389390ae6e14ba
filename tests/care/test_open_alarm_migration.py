"""The migration that makes one open alarm per device and kind: where
nine presses were nine open rows, the oldest stays open and the others are
closed into it, each leaving a row on both timelines; then the database
refuses a second open one."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("care", "0005_alter_alarmevent_action_guardianlink")]
AFTER = [("care", "0006_one_open_alarm_per_device_and_kind")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_open_duplicates_are_closed_into_the_oldest():
    old = _migrate(BEFORE)
    try:
        Device, Event = old.get_model("care", "Device"), old.get_model("care", "DeviceEvent")
        Alarm = old.get_model("care", "Alarm")
        device = Device.objects.create(ident="SOS-0009", kind="call_button")
        now = timezone.now()
        made = []
        for n in range(3):
            event = Event.objects.create(device=device, msg_id=f"p{n}", type="sos", at=now)
            made.append(
                Alarm.objects.create(
                    device=device, event=event, kind="sos", stage="raised",
                    raised_at=now + timezone.timedelta(seconds=n),
                )
            )  # fmt: skip
        fall = Alarm.objects.create(device=device, event=event, kind="fall", stage="raised")
        new = _migrate(AFTER)
        Alarm, AlarmEvent = new.get_model("care", "Alarm"), new.get_model("care", "AlarmEvent")
        stages = dict(Alarm.objects.values_list("pk", "stage"))
        assert stages == {
            made[0].pk: "raised",
            made[1].pk: "resolved",
            made[2].pk: "resolved",
            fall.pk: "raised",  # another kind: its own alarm
        }
        assert AlarmEvent.objects.filter(alarm_id=made[0].pk, action="repeat").count() == 2
        closed = Alarm.objects.get(pk=made[2].pk)
        assert closed.note == f"重复告警,已并入告警 #{made[0].pk}"
        with pytest.raises(IntegrityError), transaction.atomic():
            Alarm.objects.create(device_id=device.pk, event_id=event.pk, kind="sos",
                                 stage="raised")  # fmt: skip
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
