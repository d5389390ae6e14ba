"""Cases in Django's admin: categories are configured here (with their
deadlines and extra questions); cases are read-only, since every change to a
case goes through the workflow, and non-superusers see only their scope."""

from django.contrib import admin

from civicgrid.cases.models import Case, Category, Deadline, Question
from civicgrid.registry.admin import ReadOnlyAdmin


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "group",
        "default_priority",
        "fixable_on_spot",
        "public",
        "active",
        "sort",
    ]
    list_filter = ["group", "active", "public", "fixable_on_spot"]
    search_fields = ["code", "name", "keywords"]
    filter_horizontal = ["departments"]
    inlines = [DeadlineInline, QuestionInline]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "category", "stage", "place", "reported_at", "due_at", "overdue"]
    list_filter = ["stage", "channel", "overdue", "category"]
    search_fields = ["number", "description", "address"]
    date_hierarchy = "reported_at"
    list_select_related = ["category", "place"]
    # The reporter's phone is encrypted at rest; only its masked copy is shown.
    exclude = ["reporter_phone", "intake_key"]
