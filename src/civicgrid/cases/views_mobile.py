"""随手拍: the phone page anyone signed in may report from, its confirmation,
and "我的上报" where a reporter follows and rates their own cases."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from civicgrid.cases import selectors, services
from civicgrid.cases.forms import RATINGS, ReportForm, question_rows
from civicgrid.cases.models import Channel, Stage
from civicgrid.cases.views import map_context
from civicgrid.web.pages import page_of


def _report_page(request, form, status=200):
    context = {"form": form, **map_context(request.user)}
    return render(request, "cases/report.html", context, status=status)


@login_required
def report(request):
    if request.method != "POST":
        return _report_page(request, ReportForm())
    form = ReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case, _created = services.case_report(
                channel=Channel.MOBILE, reporter=request.user, **form.service_fields()
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("cases:reported", pk=case.pk)
    return _report_page(request, form, status=400)


@login_required
def reported(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    return render(request, "cases/reported.html", {"case": case})


@login_required
def questions(request):
    """The extra questions of one category, swapped into a form by htmx."""
    code = request.GET.get("category", "")
    category = selectors.categories().filter(code=code).first() if code else None
    return render(request, "cases/_questions.html", {"rows": question_rows(category)})


@login_required
def mine(request):
    cases = selectors.case_list(user=request.user).filter(reporter=request.user)
    context = {"page": page_of(request, cases), "ratings": RATINGS, "closed": Stage.CLOSED}
    return render(request, "cases/mine.html", context)
