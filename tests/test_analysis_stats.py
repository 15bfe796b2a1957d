"""Statistics over seeds (analysis.stats) against values computed by hand or from tables."""
import math

import pytest

from analysis.stats import excludes, mean_interval, paired_differences, t_quantile


@pytest.mark.parametrize("df, t", [(1, 12.706), (2, 4.303), (9, 2.262), (30, 2.042), (1000, 1.962)])
def test_t_quantiles_match_the_printed_table(df, t):
    assert t_quantile(df) == pytest.approx(t, abs=1e-3)
    assert t_quantile(0) == math.inf


def test_interval_of_ten_seeds_by_hand():
    vals = [10.0, 12.0, 11.0, 13.0, 9.0, 10.0, 12.0, 11.0, 14.0, 8.0]
    iv = mean_interval(vals)
    sd = (sum((v - 11.0) ** 2 for v in vals) / 9) ** 0.5
    assert iv.mean == pytest.approx(11.0) and iv.sd == pytest.approx(sd) and iv.n == 10
    assert iv.hi - iv.mean == pytest.approx(2.2621572 * sd / math.sqrt(10))
    assert "95% CI" in iv.text("d") and "n=10" in iv.text("d")


def test_undefined_values_are_counted_not_averaged():
    iv = mean_interval([5.0, None, float("nan"), 7.0])
    assert iv.mean == 6.0 and iv.n == 2 and iv.n_missing == 2
    one = mean_interval([3.0, None])
    assert one.n == 1 and one.sd is None and one.lo == one.hi == 3.0
    none = mean_interval([None, None])
    assert none.mean is None and "undefined in all 2 runs" == none.text()


def test_direction_needs_the_whole_interval_on_one_side_and_two_values():
    assert excludes(mean_interval([-3.0, -2.0, -2.5]), 0.0, "below")
    assert not excludes(mean_interval([-3.0, 1.0, -2.5]), 0.0, "below")
    assert not excludes(mean_interval([-3.0]), 0.0, "below")
    assert excludes(mean_interval([1.5, 1.6, 1.4]), 1.0, "above")
    with pytest.raises(ValueError):
        excludes(mean_interval([1.0, 2.0]), 0.0, "sideways")
    assert paired_differences([3.0, None, 5.0], [1.0, 2.0, float("nan")]) == [2.0, None, None]
