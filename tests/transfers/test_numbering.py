"""Manifest numbers: year + province + city + serial, distinct under concurrency."""

import threading

import pytest
from django.db import connection

from transfers.models import ManifestSequence
from transfers.numbering import allocate_number, format_number


def test_a_number_is_year_then_city_code_then_a_six_digit_serial():
    assert format_number(year=2025, city_code="5206", serial=42) == "20255206000042"


def test_a_city_code_that_is_not_four_digits_is_refused():
    with pytest.raises(ValueError):
        format_number(year=2025, city_code="52", serial=1)


@pytest.mark.django_db
def test_serials_restart_for_each_city_and_year():
    assert allocate_number(city_code="5206", year=2025) == "20255206000001"
    assert allocate_number(city_code="5206", year=2025) == "20255206000002"
    assert allocate_number(city_code="5201", year=2025) == "20255201000001"
    assert allocate_number(city_code="5206", year=2026) == "20265206000001"
    assert ManifestSequence.objects.get(city_code="5206", year=2025).last_serial == 2


@pytest.mark.django_db(transaction=True)
def test_fifty_threads_allocating_numbers_get_fifty_distinct_numbers():
    numbers, errors = [], []
    barrier = threading.Barrier(50)

    def allocate():
        try:
            barrier.wait(timeout=30)
            numbers.append(allocate_number(city_code="5206", year=2025))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=allocate) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(numbers) == 50
    assert len(set(numbers)) == 50
    assert sorted(number[-6:] for number in numbers) == [f"{serial:06d}" for serial in range(1, 51)]
    assert ManifestSequence.objects.get(city_code="5206", year=2025).last_serial == 50
