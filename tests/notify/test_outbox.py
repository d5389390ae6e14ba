"""The outbox: notices with a generic target, a delivery row per channel,
atomic claims by the worker, retries with back-off, and sending kept off the
path that raised the notice."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from civicgrid.care.models import Alarm
from civicgrid.care.pipeline import handle_message
from civicgrid.notify import outbox
from civicgrid.notify.channels import Channel, channels
from civicgrid.notify.models import Delivery, Notice
from tests.factories import device_message as message

S = Delivery.Status
sent = []


class Recording(Channel):
    name = "recording"

    def deliver(self, notice) -> str:
        sent.append(notice.pk)
        return S.SENT


class Broken(Channel):
    name = "broken"

    def deliver(self, notice) -> str:
        raise ConnectionError("gateway down")


@pytest.fixture
def channels_in_use(settings):
    def use(*paths):
        settings.NOTICE_CHANNELS = ["civicgrid.notify.channels.InApp", *paths]
        channels.cache_clear()

    sent.clear()
    yield use
    channels.cache_clear()


def test_a_notice_has_a_generic_target_and_a_row_per_channel(registry, personas, channels_in_use):
    channels_in_use("tests.notify.test_outbox.Recording")
    household = registry["household_a"]
    (notice,) = outbox.notice_send([personas["staff_a"]], about=household, message="上门核实")
    assert Notice.objects.about(household).get() == notice
    assert notice.target_type == "registry.household" and notice.target_id == str(household.pk)
    rows = dict(notice.deliveries.values_list("channel", "status"))
    assert rows == {"inapp": S.DELIVERED, "recording": S.QUEUED}
    assert sent == []  # nothing leaves before the worker runs
    assert outbox.deliver_due() == 1
    assert sent == [notice.pk]
    assert notice.deliveries.get(channel="recording").status == S.SENT
    assert outbox.deliver_due() == 0


def test_inactive_and_repeated_users_get_one_notice_or_none(personas, channels_in_use):
    channels_in_use()
    staff, outsider = personas["staff_a"], personas["staff_b"]
    outsider.is_active = False
    notices = outbox.notice_send([staff, staff, outsider, None], message="一次")
    assert [n.user for n in notices] == [staff]


def test_a_failing_channel_retries_with_back_off_then_fails(personas, channels_in_use, settings):
    channels_in_use("tests.notify.test_outbox.Broken", "tests.notify.test_outbox.Recording")
    settings.NOTICE_MAX_ATTEMPTS = 2
    now = timezone.now()
    (notice,) = outbox.notice_send([personas["staff_a"]], message="告警", now=now)
    assert outbox.deliver_due(now=now) == 1  # the working channel is not held up
    broken = notice.deliveries.get(channel="broken")
    assert broken.status == S.QUEUED and broken.attempts == 1
    assert broken.error == "gateway down" and broken.next_try_at >= now + timedelta(seconds=30)
    assert outbox.deliver_due(now=now + timedelta(seconds=1)) == 0  # not yet due
    outbox.deliver_due(now=broken.next_try_at)
    broken.refresh_from_db()
    assert broken.status == S.FAILED and broken.attempts == 2 and broken.next_try_at is None


def test_a_claimed_row_is_not_claimed_again(personas, channels_in_use):
    channels_in_use("tests.notify.test_outbox.Recording")
    outbox.notice_send([personas["staff_a"], personas["grid_a"]], message="两人")
    first = outbox.claim_due()
    assert len(first) == 2
    assert outbox.claim_due() == []
    # A worker that died mid-send: the lease runs out and the rows come back.
    later = timezone.now() + outbox.LEASE + timedelta(seconds=1)
    assert {row.pk for row in outbox.claim_due(now=later)} == {row.pk for row in first}


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_take_the_same_row(places, channels_in_use):
    from civicgrid.access.models import User

    channels_in_use("tests.notify.test_outbox.Recording")
    users = [User.objects.create(username=f"u{n}") for n in range(30)]
    outbox.notice_send(users, message="并发")
    taken, barrier = [[], []], threading.Barrier(2)

    def work(index):
        try:
            barrier.wait(10)
            while rows := outbox.claim_due(limit=4):
                taken[index] += [row.pk for row in rows]
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not set(taken[0]) & set(taken[1])
    assert len(taken[0]) + len(taken[1]) == 30


def test_an_alarm_queues_its_notices_in_its_transaction_and_sends_nothing(
    sos_device, personas, channels_in_use, django_capture_on_commit_callbacks
):
    channels_in_use("tests.notify.test_outbox.Recording")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = handle_message(
            "SOS-0001", message("m1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
        )
    alarm = Alarm.objects.get(pk=outcome.alarm_ids[0])
    notice = Notice.objects.about(alarm).get(user=personas["doctor_a"])
    assert notice.deliveries.get(channel="recording").status == S.QUEUED
    assert sent == []  # sending waits for the worker, off the alarm's path
    outbox.deliver_due()
    assert sent == [notice.pk]


def test_the_inbox_asks_anonymous_visitors_to_log_in(db):
    response = Client().get(reverse("notify:inbox"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
