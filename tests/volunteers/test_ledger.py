"""The double-entry ledger: sums, refusals, replays, adjustments, statements,
and a property test over random sequences of earn/redeem/cancel/adjust."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.access.models import AuditLog
from civicgrid.ledger.models import Account, Entry, Transfer
from civicgrid.volunteers import exchange, ledger
from civicgrid.volunteers.ledger import Refused
from civicgrid.volunteers.models import Item, Redemption
from tests.factories import consent, give


def test_a_transfer_is_two_entries_summing_to_zero(volunteer):
    transfer = give(volunteer, 30)
    amounts = sorted(transfer.entries.values_list("amount", flat=True))
    assert amounts == [-30, 30]
    assert ledger.balance(ledger.volunteer_account(volunteer)) == 30
    assert ledger.balance(ledger.issuing_account(volunteer.community)) == -30


def test_a_replayed_key_changes_nothing(volunteer):
    first = give(volunteer, 30, key="same")
    again = give(volunteer, 30, key="same")
    assert again.pk == first.pk
    assert ledger.balance(ledger.volunteer_account(volunteer)) == 30


def test_a_volunteer_account_is_never_overdrawn(volunteer, counter):
    give(volunteer, 10)
    with pytest.raises(Refused, match="积分不足：余额 10，需要 11"):
        ledger.points_transfer(
            from_account=ledger.volunteer_account(volunteer),
            to_account=ledger.counter_account(counter),
            amount=11,
            kind=Transfer.Kind.REDEEM,
            reason="x",
            key="overdraw",
        )
    assert not Transfer.objects.filter(key="overdraw").exists()


def test_adjustment_needs_a_reason_and_leaves_an_audit_row(volunteer, personas):
    with pytest.raises(ValidationError):
        ledger.points_adjust(volunteer=volunteer, amount=5, reason=" ", actor=personas["staff_a"])
    ledger.points_adjust(
        volunteer=volunteer, amount=5, reason="补录活动", actor=personas["staff_a"]
    )
    assert ledger.balance(ledger.volunteer_account(volunteer)) == 5
    row = AuditLog.objects.get(object_type="volunteers.volunteer", object_id=str(volunteer.pk))
    assert row.note == "补录活动" and row.changes == {"points": [None, 5]}


def test_adjustment_outside_scope_is_refused(volunteer, personas):
    with pytest.raises(PermissionDenied):
        ledger.points_adjust(volunteer=volunteer, amount=5, reason="x", actor=personas["staff_b"])


def test_statement_has_a_running_balance(volunteer, counter, schoolbag, operator):
    give(volunteer, 80)
    give(volunteer, 40)
    exchange.redemption_create(
        counter=counter,
        volunteer=volunteer,
        item=schoolbag,
        quantity=1,
        actor=operator,
        code=consent(volunteer),
    )
    rows = list(ledger.volunteer_statement(volunteer))
    assert [(r.amount, r.running) for r in rows] == [(80, 80), (40, 120), (-50, 70)]


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(1, 60)),
        st.tuples(st.just("redeem"), st.integers(1, 3)),
        st.tuples(st.just("cancel"), st.integers(0, 5)),
        st.tuples(st.just("adjust"), st.integers(-40, 40).filter(bool)),
    ),
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_random_sequences_keep_the_books(ops, volunteer, counter, operator, personas):
    with transaction.atomic():
        item = Item.objects.create(counter=counter, name="毛巾", price=15, stock=6)
        code = consent(volunteer)
        for op, value in ops:
            try:
                if op == "earn":
                    give(volunteer, value)
                elif op == "redeem":
                    exchange.redemption_create(
                        counter=counter,
                        volunteer=volunteer,
                        item=item,
                        quantity=value,
                        actor=operator,
                        code=code,
                    )
                elif op == "cancel":
                    done = list(Redemption.objects.filter(status="done").order_by("pk"))
                    if done:
                        exchange.redemption_cancel(
                            redemption=done[value % len(done)], actor=operator, reason="退货"
                        )
                else:
                    ledger.points_adjust(
                        volunteer=volunteer, amount=value, reason="校正", actor=personas["staff_a"]
                    )
            except Refused:
                pass
        per_transfer = Entry.objects.values("transfer").annotate(total=Sum("amount"))
        assert all(row["total"] == 0 for row in per_transfer)
        assert Entry.objects.aggregate(total=Sum("amount"))["total"] in (0, None)
        for account in Account.objects.exclude(kind=Account.Kind.ISSUING):
            assert ledger.balance(account) >= 0
        item.refresh_from_db()
        sold = sum(r.quantity for r in Redemption.objects.filter(item=item, status="done"))
        assert item.stock == 6 - sold >= 0
        transaction.set_rollback(True)
