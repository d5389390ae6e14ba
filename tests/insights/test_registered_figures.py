"""The seed's figures that existing packages compute, registered in their
own figures.py: child trackers, mobile grid workers (one definition); and
every figure of the catalogue computes. (Central households are main's
registry.central_households[_new], merged later.)"""

from datetime import date

from civicgrid.lib import figures
from civicgrid.lib.period import Period

YEAR = Period.year(date(2026, 1, 1))
LAST_YEAR = Period.year(date(2025, 1, 1))


def test_every_catalogue_figure_computes_for_every_persona(scene, personas):
    keys = [figure.key for figure in figures.catalogue()]
    assert {"care.child_trackers_handed_out", "volunteers.mobile_grid_workers"} <= set(keys)
    for user in personas.values():
        values = figures.values(keys, user=user, period=YEAR)
        assert set(values) == set(keys)


def test_mobile_grid_workers_are_active_rider_volunteers(scene, personas, places):
    admin, staff_a = personas["admin"], personas["staff_a"]
    keys = ["volunteers.mobile_grid_workers", "volunteers.new_mobile_grid_workers"]
    assert figures.values(keys, user=admin, period=YEAR) == {keys[0]: 2, keys[1]: 2}
    # Scope: community A's staff see their one active rider, not B's.
    assert figures.values(keys, user=staff_a, period=YEAR) == {keys[0]: 1, keys[1]: 1}
    on_place = figures.values(keys, user=admin, period=YEAR, place=places["community_b"])
    assert on_place == {keys[0]: 1, keys[1]: 1}
    # New ones count in the period they registered.
    assert figures.compute(keys[1], user=admin, period=LAST_YEAR) == 0


def test_child_trackers_handed_out_in_the_period_and_in_use(scene, personas, places):
    admin = personas["admin"]
    handed = "care.child_trackers_handed_out"
    in_use = "care.child_trackers_in_use"
    assert figures.values([handed, in_use], user=admin, period=YEAR) == {handed: 1, in_use: 1}
    assert figures.compute(handed, user=admin, period=LAST_YEAR) == 0
    assert figures.compute(handed, user=personas["staff_b"], period=YEAR) == 0
    assert figures.compute(handed, user=admin, period=YEAR, place=places["community_b"]) == 0


def test_resolution_rate(scene, personas):
    rate = figures.compute("risks.resolution_rate", user=personas["staff_a"], period=YEAR)
    assert rate == round(2 / 3, 4)
