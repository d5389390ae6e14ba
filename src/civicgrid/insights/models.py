"""Work summaries kept by the platform: the monthly brief (工作简报) the
scheduler writes for each district's leadership (``services``). A brief
keeps its text as written, so the file sent with the notice is the file
opened later, whatever the records have become since."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role
from civicgrid.access.scoping import Scope, ScopedQuerySet

# Who reads the briefs of their place (the leadership and community staff).
BRIEF_READERS = frozenset({Role.ADMIN, Role.STAFF})


class Brief(models.Model):
    place = models.ForeignKey(
        "registry.Place", verbose_name=_("地点"), on_delete=models.PROTECT, related_name="+"
    )
    # Denormalised from the place for the scope filter.
    place_code = models.CharField(max_length=15, db_index=True)
    first = models.DateField(_("起始日期"))
    last = models.DateField(_("截止日期"))
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"))
    created_at = models.DateTimeField(default=timezone.now)
    # One brief per place and period, however often the job runs.
    key = models.CharField(max_length=64, unique=True)

    objects = ScopedQuerySet.as_manager()
    scope = Scope(path="place_code", roles={"view": BRIEF_READERS})

    class Meta:
        verbose_name = _("工作简报")
        verbose_name_plural = _("工作简报")
        ordering = ["-first", "place_code"]

    def __str__(self) -> str:
        return self.title
