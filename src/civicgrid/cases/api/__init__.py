"""Case endpoints: intake, the list and detail, one endpoint per workflow
move, photos, duplicates, categories, the department queue, notifications
and figures. Thin: parse, call a selector or a service, return a schema.

Scope: every case is fetched through ``selectors.case_get`` / ``case_list``
(``Case.objects.for_user``), so a case outside the caller's scope is a 404;
a move the caller may not make is a 403 from ``workflow.case_move``.
"""

from ninja import Router

from civicgrid.cases.api import cases, catalogue, figures, moves

router = Router()
# In this order: /cases/figures before /cases/{case_id}, which would take it.
for part in (figures, cases, moves, catalogue):
    router.add_router("", part.router)
    # OpenAPI operation ids name an endpoint's module: keep those of the one
    # module this package replaced, so that generated clients keep their names.
    for path_view in part.router.path_operations.values():
        for operation in path_view.operations:
            operation.view_func.__module__ = __name__
