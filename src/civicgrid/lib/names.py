from django.utils.translation import get_language


class BilingualName:
    """For configuration rows named by the district (categories, target groups):
    ``name`` is the Chinese label, ``name_en`` the English one if given."""

    name: str
    name_en: str

    @property
    def label(self) -> str:
        lang = get_language() or ""
        return self.name if lang.startswith("zh") or not self.name_en else self.name_en
