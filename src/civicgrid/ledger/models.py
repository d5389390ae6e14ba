"""Accounts in a unit, transfers, and the entries that make them.

An account holds one unit (``points``, ``fen`` of a meal card, ``item:17``
pieces of one exchange item) for a holder (any row: a volunteer, a counter,
an item, a community), by kind. A transfer moves an amount of one unit
between two accounts as two entries summing to zero; a balance is the sum of
an account's entries and is stored nowhere.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    class Kind:
        """Kinds are plain strings a package chooses; ``issuing`` is the one
        the ledger knows: where a unit comes into being, so it may go below
        zero (a community's points issued, an item's stock received)."""

        ISSUING = "issuing"

    unit = models.CharField(_("单位"), max_length=32)
    kind = models.CharField(_("类型"), max_length=16)
    name = models.CharField(_("名称"), max_length=100)
    # The row the account belongs to, by model label and id.
    holder_type = models.CharField(max_length=64)
    holder_id = models.PositiveBigIntegerField()
    place = models.ForeignKey(
        "registry.Place",
        verbose_name=_("所属地点"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints = [
            models.UniqueConstraint(
                fields=["holder_type", "holder_id", "unit", "kind"], name="one_account_per_holder"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def may_go_negative(self) -> bool:
        return self.kind == self.Kind.ISSUING


class Transfer(models.Model):
    class Kind(models.TextChoices):
        """The kinds in use; a package may add its own string."""

        EARN = "earn", _("服务获得")
        REDEEM = "redeem", _("兑换")
        ADJUST = "adjust", _("调整")
        REVERSAL = "reversal", _("冲正")
        RESTOCK = "restock", _("入库")

    kind = models.CharField(_("类型"), max_length=16)
    unit = models.CharField(_("单位"), max_length=32)
    reason = models.CharField(_("事由"), max_length=200)
    # Every transfer has one; a replay with the same key changes nothing.
    key = models.CharField(max_length=200, unique=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        "access.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("转账")
        verbose_name_plural = _("转账")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reason}"

    def get_kind_display(self) -> str:
        return str(dict(self.Kind.choices).get(self.kind, self.kind))


class Entry(models.Model):
    """One side of a transfer; a transfer's entries sum to zero."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField(_("数额"))

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+d}"
