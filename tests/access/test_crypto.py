import pytest
from django.db import connection
from django.test import override_settings

from civicgrid.access import crypto
from tests.factories import ID_A


def test_encrypt_round_trip_and_differs_each_time():
    first, second = crypto.encrypt(ID_A), crypto.encrypt(ID_A)
    assert first != second != ID_A
    assert crypto.decrypt(first) == ID_A


def test_blind_index_is_stable_and_normalised():
    assert crypto.blind_index(ID_A) == crypto.blind_index(f" {ID_A.lower()} ")
    assert crypto.blind_index(ID_A) != crypto.blind_index("540102198807150027")


def test_mask():
    assert crypto.mask(ID_A) == "5401**********1231"
    assert crypto.mask("13908912345", keep_start=3, keep_end=4) == "139****2345"
    assert crypto.mask("") == ""


def test_key_rotation_reads_old_values():
    with override_settings(DATA_KEYS=["old-key"]):
        token = crypto.encrypt(ID_A)
    with override_settings(DATA_KEYS=["new-key", "old-key"]):
        assert crypto.decrypt(token) == ID_A
    with override_settings(DATA_KEYS=["unrelated-key"]), pytest.raises(ValueError):
        crypto.decrypt(token)


def test_database_column_holds_no_plaintext(registry):
    resident = registry["resident_a"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_masked FROM registry_resident WHERE id = %s",
            [resident.pk],
        )
        raw_id, raw_phone, masked = cursor.fetchone()
    assert ID_A not in raw_id and "13908912345" not in raw_phone
    assert masked == "5401**********1231"
    resident.refresh_from_db()
    assert resident.id_number == ID_A
