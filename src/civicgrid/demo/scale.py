"""District-scale data for the benchmarks: residents, devices with fences, and
cases over five years, loaded in bulk (``COPY`` on PostgreSQL, multi-row
``INSERT`` elsewhere), never one ORM save per row.

It sits beside the demo district (``load_demo`` must have run: places,
categories and departments come from it) and is marked so it can be replaced:
household numbers and case numbers start with ``BX``, device idents with
``BENCH-``. Running it again deletes the previous benchmark rows first.

Personal data: every resident's ID number is encrypted on its own and its
blind index is the HMAC of exactly that number, so look-ups by ID work as on
real data. Phone numbers are drawn from a pool of ``PHONE_POOL`` numbers,
each encrypted once, and residents sharing a number share its ciphertext.
That is acceptable only for benchmark data (two equal ciphertexts reveal two
equal phones; phones have no blind index, so nothing else depends on it) and
halves the encryption cost, which dominates the load.
"""

import json
import random
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from civicgrid.access import crypto
from civicgrid.care.models import Device, Geofence
from civicgrid.cases.models import (
    Case,
    CaseTally,
    Category,
    Channel,
    Deadline,
    Dispatch,
    Priority,
    Stage,
)
from civicgrid.cases.tallies import tally_rebuild
from civicgrid.demo.identity import han_name, tibetan_name
from civicgrid.registry.models import Household, Place, Resident
from civicgrid.registry.validation import id_check_digit

HOUSEHOLD_PREFIX = "BX"
CASE_PREFIX = "BX"
DEVICE_PREFIX = "BENCH-"
PHONE_POOL = 10_000
YEARS = 5
CHUNK = 50_000
# ID numbers use area codes no demo resident has (5401 + 90..99), so they
# never collide with the demo's blind indexes.
AREAS = [f"5401{n}" for n in range(90, 100)]

Say = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


# Writing rows ------------------------------------------------------------------


def _columns(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields]


def _defaults(fields: list[models.Field]) -> dict:
    return {f.attname: f.get_default() for f in fields}


def _value(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def bulk_write(model, rows: Iterable[dict]) -> int:
    """Insert plain rows (dicts by attname, explicit ``id``); unspecified
    columns take the field's default. Values must already be what the column
    stores (encrypted fields: ciphertext)."""
    fields = _columns(model)
    defaults = _defaults(fields)
    names = [f.attname for f in fields]
    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    merged = defaults | row
                    copy.write_row([_value(merged[name]) for name in names])
                    count += 1
        else:
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
            batch = []
            for row in rows:
                merged = defaults | row
                batch.append([_sqlite_value(f, merged[f.attname]) for f in fields])
                if len(batch) >= 5_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def _sqlite_value(field, value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return _value(value)


def _next_id(model) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _reset_sequence(*models_) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


# The data ----------------------------------------------------------------------


def delete_scale_data() -> None:
    """Remove what a previous run loaded (cascading by hand: fast deletes)."""
    with connection.cursor() as cursor:
        for sql in [
            "DELETE FROM {geofence} WHERE device_id IN (SELECT id FROM {device} WHERE ident LIKE %s)",
            "DELETE FROM {device} WHERE ident LIKE %s",
        ]:
            cursor.execute(
                sql.format(geofence=Geofence._meta.db_table, device=Device._meta.db_table),
                [DEVICE_PREFIX + "%"],
            )
        case, dispatch = Case._meta.db_table, Dispatch._meta.db_table
        cursor.execute(
            f"DELETE FROM {dispatch} WHERE case_id IN "  # noqa: S608
            f"(SELECT id FROM {case} WHERE number LIKE %s)",
            [CASE_PREFIX + "%"],
        )
        cursor.execute(f"DELETE FROM {case} WHERE number LIKE %s", [CASE_PREFIX + "%"])  # noqa: S608
        household, resident = Household._meta.db_table, Resident._meta.db_table
        cursor.execute(
            f"UPDATE {household} SET head_id = NULL WHERE number LIKE %s",  # noqa: S608
            [HOUSEHOLD_PREFIX + "%"],
        )
        cursor.execute(
            f"DELETE FROM {resident} WHERE household_id IN "  # noqa: S608
            f"(SELECT id FROM {household} WHERE number LIKE %s)",
            [HOUSEHOLD_PREFIX + "%"],
        )
        cursor.execute(
            f"DELETE FROM {household} WHERE number LIKE %s",  # noqa: S608
            [HOUSEHOLD_PREFIX + "%"],
        )


def _grids(rng: random.Random) -> tuple[list[tuple], list[float]]:
    """Every grid with a centre, weighted: urban grids (城关区 540102) hold far
    more people and cases than village grids."""
    grids = list(
        Place.objects.filter(level="grid", centroid_lat__isnull=False)
        .order_by("code")
        .values_list("pk", "code", "centroid_lat", "centroid_lon")
    )
    if not grids:
        raise ValueError("load the demo district first: civicgrid demo-data")
    weights = [(4.0 if code.startswith("540102") else 1.0) * rng.uniform(0.5, 1.5)
               for _pk, code, _lat, _lon in grids]  # fmt: skip
    return grids, weights


def load_scale(
    *,
    residents: int = 500_000,
    devices: int = 5_000,
    cases: int = 1_000_000,
    fences_per_device: int = 2,
    seed: int = 7,
    say: Say = _quiet,
    now: datetime | None = None,
) -> dict:
    """Load benchmark-size data; returns the counts. One transaction."""
    rng = random.Random(seed)
    now = now or timezone.now()
    started = time.monotonic()

    def step(message: str) -> None:
        say(f"{time.monotonic() - started:7.1f}s  {message}")

    grids, weights = _grids(rng)
    with transaction.atomic():
        delete_scale_data()
        step("removed the previous benchmark rows")
        homes = _people(rng, grids, weights, residents, now, step)
        device_count, fence_count = _devices(rng, homes, devices, fences_per_device, now)
        step(f"{device_count} devices, {fence_count} geofences")
        case_count, dispatch_count = _cases(rng, grids, weights, cases, now, step)
        _reset_sequence(Household, Resident, Device, Geofence, Case, Dispatch)
        # COPY bypasses the workflow that keeps the figures' tallies: recount
        # them all, set-wise, in this transaction.
        step(f"{tally_rebuild()} case tally rows recounted")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Household, Resident, Device, Geofence, Case, Dispatch, CaseTally):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        step("analysed")
    return {
        "households": len(homes),
        "residents": residents,
        "devices": device_count,
        "geofences": fence_count,
        "cases": case_count,
        "dispatches": dispatch_count,
    }


def _people(rng, grids, weights, total: int, now: datetime, step: Say) -> list[tuple]:
    """Households of 1-6 (mean about 3) around their grid's centre. Returns
    (resident id, lat, lon, place code) of one member per household."""
    phones = [f"139{rng.randrange(10**8):08d}" for _ in range(PHONE_POOL)]
    phone_pool = [(crypto.encrypt(p), crypto.mask(p, keep_start=3)) for p in phones]
    household_id, resident_id = _next_id(Household), _next_id(Resident)
    today = now.date()
    used: dict[tuple[str, date, str], int] = {}
    households, residents, homes = [], [], []
    made = 0
    while made < total:
        size = min(total - made, rng.choices([1, 2, 3, 4, 5, 6], [12, 25, 28, 20, 10, 5])[0])
        pk, code, lat, lon = rng.choices(grids, weights)[0]
        hlat, hlon = lat + rng.uniform(-0.003, 0.003), lon + rng.uniform(-0.003, 0.003)
        tibetan = rng.random() < 0.7
        number = f"{HOUSEHOLD_PREFIX}{household_id:09d}"
        households.append(
            {
                "id": household_id,
                "number": number,
                "grid_id": pk,
                "address": f"基准楼{household_id % 997}号{household_id % 31 + 1}室",
                "head_id": resident_id,
                "lat": hlat,
                "lon": hlon,
                "created_at": now,
                "updated_at": now,
            }
        )
        homes.append((resident_id, hlat, hlon, code))
        for member in range(size):
            gender = rng.choice(["male", "female"])
            age = rng.uniform(25, 75) if member == 0 else rng.uniform(0, 90)
            birth = today - timedelta(days=int(age * 365.25))
            area = rng.choice(AREAS)
            key = (area, birth, gender)
            n = used.get(key, 0)
            used[key] = n + 1
            first17 = f"{area}{birth:%Y%m%d}{2 * n + (1 if gender == 'male' else 2):03d}"
            id_number = first17 + id_check_digit(first17)
            phone, phone_masked = rng.choice(phone_pool)
            name = tibetan_name(rng, gender) if tibetan else han_name(rng, gender)
            residents.append(
                {
                    "id": resident_id,
                    "household_id": household_id,
                    "name": name,
                    "gender": gender,
                    "birth_date": birth,
                    "relation_to_head": "head" if member == 0 else "other",
                    "id_number": crypto.encrypt(id_number),
                    "id_number_hash": crypto.blind_index(id_number),
                    "id_number_masked": crypto.mask(id_number),
                    "phone": phone,
                    "phone_masked": phone_masked,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            resident_id += 1
        made += size
        household_id += 1
        if len(residents) >= CHUNK:
            bulk_write(Household, households)
            bulk_write(Resident, residents)
            households, residents = [], []
            step(f"{made} residents")
    bulk_write(Household, households)
    bulk_write(Resident, residents)
    step(f"{made} residents in {len(homes)} households")
    return homes


def _square(lat: float, lon: float, half: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon - half, lat - half],
                [lon + half, lat - half],
                [lon + half, lat + half],
                [lon - half, lat + half],
                [lon - half, lat - half],
            ]
        ],
    }


def _devices(rng, homes, total: int, fences_per_device: int, now) -> tuple[int, int]:
    """Devices bound to residents, each with a home polygon and further
    fences (alternating circles and polygons) nearby."""
    device_id, fence_id = _next_id(Device), _next_id(Geofence)
    devices, fences = [], []
    kinds = ["pendant", "child_tracker", "call_button"]
    for index in range(total):
        resident, lat, lon, code = homes[index % len(homes)]
        devices.append(
            {
                "id": device_id,
                "ident": f"{DEVICE_PREFIX}{index:06d}",
                "kind": kinds[index % 3],
                "model": "bench",
                "resident_id": resident,
                "place_code": code,
                "lat": lat,
                "lon": lon,
                "last_at": now,
                "last_seen_at": now,
                "battery": 80,
                "created_at": now,
            }
        )
        for n in range(fences_per_device):
            flat = lat + rng.uniform(-0.004, 0.004) if n else lat
            flon = lon + rng.uniform(-0.004, 0.004) if n else lon
            circle = n % 2 == 1
            fences.append(
                {
                    "id": fence_id,
                    "device_id": device_id,
                    "name": "家" if n == 0 else f"区域{n}",
                    "kind": "circle" if circle else "polygon",
                    "geometry": None if circle else _square(flat, flon, rng.uniform(0.0008, 0.002)),
                    "center_lat": flat if circle else None,
                    "center_lon": flon if circle else None,
                    "radius_m": rng.uniform(100, 300) if circle else None,
                    "windows": [],
                    "place_code": code,
                    "updated_at": now,
                }
            )
            fence_id += 1
        device_id += 1
    return bulk_write(Device, devices), bulk_write(Geofence, fences)


def _cases(rng, grids, weights, total: int, now: datetime, step: Say) -> tuple[int, int]:
    """Cases over ``YEARS`` years, growing year on year, spread over grids
    (weighted), categories (weighted), channels and stages; closed cases
    carry a dispatch to one of their category's departments."""
    categories = list(Category.objects.prefetch_related("departments").order_by("code"))
    if not categories:
        raise ValueError("load the demo district first: civicgrid demo-data")
    cat_weights = [rng.uniform(0.2, 3.0) for _ in categories]
    limits = {(d.category_id, d.priority): d for d in Deadline.objects.all()}
    handlers = {c.pk: [d.pk for d in c.departments.all()] for c in categories}
    channels = [Channel.MOBILE, Channel.WEB, Channel.NOTEBOOK, Channel.API, Channel.OPEN311]
    channel_weights = [45, 25, 12, 8, 5]
    case_id, dispatch_id = _next_id(Case), _next_id(Dispatch)
    span = YEARS * 365.0
    rows, dispatches = [], []
    written = dispatched = 0
    for _ in range(total):
        category = rng.choices(categories, cat_weights)[0]
        grid_pk, code, lat, lon = rng.choices(grids, weights)[0]
        # More cases in recent years: age skewed towards now.
        age = span * (1 - rng.random() ** 0.8)
        reported = now - timedelta(days=age)
        priority = category.default_priority or Priority.NORMAL
        limit = limits.get((category.pk, priority))
        hours = limit.close_hours if limit else 72
        due_at = reported + timedelta(hours=hours)
        row = {
            "id": case_id,
            "number": f"{CASE_PREFIX}{case_id:012d}",
            "channel": rng.choices(channels, channel_weights)[0],
            "category_id": category.pk,
            "priority": priority,
            "description": category.name,
            "place_id": grid_pk,
            "place_code": code,
            "lat": lat + rng.uniform(-0.003, 0.003),
            "lon": lon + rng.uniform(-0.003, 0.003),
            "reported_at": reported,
            "due_at": due_at,
            "answers": {},
        }
        stage = _stage(rng, age)
        row["stage"] = stage
        if stage == Stage.REJECTED:
            row["closed_at"] = reported + timedelta(hours=rng.uniform(1, 8))
            row["reject_reason"] = "不属于受理范围"
        elif stage != Stage.REPORTED:
            accepted = reported + timedelta(hours=rng.uniform(0.2, 3))
            row["accepted_at"], row["dispatched_at"] = accepted, accepted + timedelta(minutes=20)
            departments = handlers[category.pk]
            if departments:
                handed_back = rng.random() < 0.05
                dispatches.append(
                    {
                        "id": dispatch_id,
                        "case_id": case_id,
                        "department_id": rng.choice(departments),
                        "status": "handed_back" if handed_back else "handled",
                        "dispatched_at": row["dispatched_at"],
                        "checkin_due_at": row["dispatched_at"] + timedelta(hours=4),
                        "handle_due_at": row["dispatched_at"] + timedelta(hours=hours / 2),
                        "handed_back_at": row["dispatched_at"] + timedelta(hours=2)
                        if handed_back
                        else None,
                    }
                )
                dispatch_id += 1
            if stage == Stage.CLOSED:
                late = rng.random() < 0.06
                spent = hours * (rng.uniform(1.05, 1.8) if late else rng.uniform(0.2, 0.95))
                closed = reported + timedelta(hours=spent)
                row.update(
                    closed_at=closed,
                    handled_at=closed - timedelta(hours=0.5),
                    verified_at=closed - timedelta(minutes=10),
                    overdue=late,
                    reopen_count=1 if rng.random() < 0.02 else 0,
                )
                if rng.random() < 0.7:
                    row["rating"] = rng.choices([5, 4, 3, 2, 1], [65, 20, 8, 5, 2])[0]
                    row["rated_at"] = closed + timedelta(hours=rng.uniform(1, 48))
        rows.append(row)
        case_id += 1
        if len(rows) >= CHUNK:
            written += bulk_write(Case, rows)
            dispatched += bulk_write(Dispatch, dispatches)
            rows, dispatches = [], []
            step(f"{written} cases")
    written += bulk_write(Case, rows)
    dispatched += bulk_write(Dispatch, dispatches)
    step(f"{written} cases, {dispatched} dispatches")
    return written, dispatched


def _stage(rng: random.Random, age_days: float) -> str:
    if age_days < 3:
        return rng.choice([Stage.REPORTED, Stage.DISPATCHED, Stage.CHECKED_IN, Stage.HANDLING])
    roll = rng.random()
    if roll < 0.03:
        return Stage.REJECTED
    if roll < 0.06 and age_days < 30:
        return Stage.HANDLING
    return Stage.CLOSED
