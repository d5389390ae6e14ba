"""Health reminders set up per resident, from the resident's page: the
panel listing them, a page to add one (what, when, which days, which
doctor) and a button to stop one. Writes go through ``care.services``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, get_for_user, may
from civicgrid.care import services
from civicgrid.care.models import HealthReminder
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.placecodes import ancestor_codes
from civicgrid.registry import selectors as registry

WEEKDAYS = [
    (0, gettext_lazy("周一")),
    (1, gettext_lazy("周二")),
    (2, gettext_lazy("周三")),
    (3, gettext_lazy("周四")),
    (4, gettext_lazy("周五")),
    (5, gettext_lazy("周六")),
    (6, gettext_lazy("周日")),
]


def doctors_for(resident):
    """Community doctors whose scope covers the resident's home."""
    return User.objects.filter(
        is_active=True,
        role=Role.DOCTOR,
        scope_place__code__in=ancestor_codes(resident.household.grid.code),
    ).order_by("username")


class ReminderForm(forms.Form):
    what = forms.CharField(label=gettext_lazy("提醒内容"), max_length=64)
    time_of_day = forms.TimeField(
        label=gettext_lazy("时间"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("星期"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    doctor = forms.ModelChoiceField(label=gettext_lazy("医生"), queryset=User.objects.none())

    def __init__(self, *args, resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = doctors_for(resident)
        self.fields["doctor"].empty_label = _("请选择")


def reminder_panel(request, resident) -> dict | None:
    user = request.user
    if not may(user, VIEW, HealthReminder):
        return None
    reminders = HealthReminder.objects.for_user(user, VIEW).filter(resident=resident)
    return {
        "resident": resident,
        "reminders": reminders.select_related("doctor"),
        "may_change": may(user, CHANGE, HealthReminder),
    }


@login_required
def reminder_new(request, resident_id: int):
    if not may(request.user, CHANGE, HealthReminder):
        raise PermissionDenied(_("您不能为居民设置健康提醒。"))
    resident = registry.resident_get(user=request.user, pk=resident_id)
    form = ReminderForm(request.POST or None, resident=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.reminder_create(actor=request.user, resident=resident, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已添加健康提醒。"))
            return redirect("registry:resident", resident.pk)
    return render(request, "care/reminder_form.html", {"form": form, "resident": resident})


@login_required
@require_POST
def reminder_stop(request, reminder_id: int):
    reminder = get_for_user(HealthReminder.objects, request.user, CHANGE, pk=reminder_id)
    services.reminder_stop(reminder=reminder, actor=request.user)
    messages.success(request, _("已停用这条健康提醒。"))
    return redirect("registry:resident", reminder.resident_id)
