from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "civicgrid.web"
    label = "web"

    def ready(self) -> None:
        from civicgrid.lib import figures
        from civicgrid.web import extensions

        # Before discovery imports any form: a form's fields take their
        # defaults when its class is made.
        _ask_to_choose()
        extensions.discover()
        figures.discover()


def _ask_to_choose() -> None:
    """A select's empty choice reads 请选择, not Django's ``---------``: in
    every model form (BLANK_CHOICE_DASH, shared by reference) and every
    ModelChoiceField that does not name its own empty label."""
    from django.db.models import fields
    from django.forms import models as model_forms
    from django.utils.translation import gettext_lazy as _

    fields.BLANK_CHOICE_DASH[0] = ("", _("请选择"))
    model_forms.ModelChoiceField.__init__.__kwdefaults__["empty_label"] = _("请选择")
    _labels_without_colons()


def _labels_without_colons() -> None:
    """Labels stand above their fields and end in no colon (Django's default
    label_suffix is ":"): every form's default becomes ""."""
    import inspect

    from django.forms.forms import BaseForm

    names = list(inspect.signature(BaseForm.__init__).parameters)[1:]
    defaults = list(BaseForm.__init__.__defaults__)
    defaults[names.index("label_suffix") - (len(names) - len(defaults))] = ""
    BaseForm.__init__.__defaults__ = tuple(defaults)
