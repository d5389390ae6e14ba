"""The command screen's map: the people's-condition map's live layers
(every package's ``web.extensions.map_layer``, served by the map's own
layer URLs and drawn by its script), centred on the place shown."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.web.extensions import layers_for

ZOOM = {"grid": 16, "community": 15, "street": 14, "district": 12}


def _plain(value):
    """Lazy labels in a layer's style as plain strings, for json_script."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def map_data(user, place) -> dict:
    place = place or (user.scope_place if user.scope_place_id else None)
    centre = (
        [place.centroid_lat, place.centroid_lon]
        if place is not None and place.centroid_lat is not None
        else [29.65, 91.13]
    )
    shown = layers_for(user)
    return {
        "config": {
            "centre": centre,
            "zoom": ZOOM.get(place.level, 12) if place else 12,
            "tiles": settings.MAP_TILE_URL,
            "cardUrl": reverse("risks:household_card", args=[0]),
            "householdsIn": _("户"),
        },
        "urls": {layer.name: reverse("risks:layer", args=[layer.name]) for layer in shown},
        "layers": [
            {
                "name": layer.name,
                "label": str(layer.label),
                "on": layer.on_at_start,
                "style": _plain(layer.style),
            }
            for layer in shown
        ],
    }
