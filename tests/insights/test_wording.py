"""Rounding conventions of the written summary (余, 多, 万, percent), pure."""

from datetime import date

import pytest

from civicgrid.insights import wording
from civicgrid.lib.period import Period


@pytest.mark.parametrize(
    ("n", "unit", "text"),
    [
        (0, "个", "0个"),
        (7, "个", "7个"),
        (99, "件", "99件"),
        (100, "件", "100件"),
        (347, "户", "340余户"),
        (340, "户", "340户"),
        (1347, "个", "1300余个"),
        (1300, "个", "1300个"),
        (9999, "", "9900余"),
        (10_000, "人次", "1万人次"),
        (23_456, "人次", "2.3万余人次"),
        (20_500, "人次", "2万余人次"),
        (23_000, "人次", "2.3万人次"),
        (1_234_567, "人", "123.4万余人"),
    ],
)
def test_approx(n, unit, text):
    assert wording.approx(n, unit) == text


def test_approx_with_duo_and_never_negative():
    assert wording.approx(347, "个", word="多") == "340多个"
    assert wording.approx(23_456, "人次", word="多") == "2.3万多人次"
    with pytest.raises(ValueError):
        wording.approx(-1)


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (0.97, "97%"),
        (0.9712, "97%"),
        (0.965, "97%"),  # half up, not to even
        (0.964, "96%"),
        (1, "100%"),
        (0.996, "99.6%"),  # never 100% unless all
        (0.9999, "99.9%"),
        (0, "0%"),
        (0.004, "0.4%"),  # never 0% unless none
        (0.0001, "0.1%"),
    ],
)
def test_percent(rate, text):
    assert wording.percent(rate) == text


def test_score_and_hours():
    assert wording.score(4.25) == "4.3分"
    assert wording.hours(1234.9) == "1200余小时"
    assert wording.hours(12.9) == "12小时"


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period.year(date(2025, 6, 1)), "2025年"),
        (Period.quarter(date(2025, 5, 1)), "2025年第二季度"),
        (Period.month(date(2025, 3, 9)), "2025年3月"),
        (Period(date(2025, 1, 5), date(2025, 3, 4)), "2025年1月5日至3月4日"),
        (Period(date(2024, 12, 5), date(2025, 3, 4)), "2024年12月5日至2025年3月4日"),
    ],
)
def test_period_text(period, text):
    assert wording.period_text(period) == text
