"""The open-loop settlement bench's arithmetic (bench/settlement_bench.py), on fixed numbers: nothing is timed."""

from bench.settlement_bench import (
    BREAKDOWN,
    Sample,
    arrivals,
    breakdown,
    latency_summary,
    mean_breakdown,
    median,
    server_phases,
    slowest,
)

PHASES = {"registry": 3.0, "catalog": 0.0, "assistance": 5.0, "db": 8.0, "app": 4.0, "total": 20.0}


def sample(number: int, latency: float, late: float = 0.0, **phases: float) -> Sample:
    return Sample(number, due=10.0 * number, late=late, latency=latency, status="201", phases=PHASES | phases)


def test_percentiles_of_1_to_99_ms_are_the_ranks_themselves() -> None:
    # 99 values, cut in 100 (exclusive method): cut point k falls at rank k * (99 + 1) / 100 = k exactly.
    samples = [sample(n, float(latency)) for n, latency in enumerate(range(99, 0, -1))]
    assert latency_summary(samples) == {"p50": 50.0, "p90": 90.0, "p99": 99.0, "max": 99.0}
    assert median(samples).latency == 50.0


def test_percentiles_interpolate_between_ranks() -> None:
    # 199 values 1..199: cut point k at rank k * 200 / 100 = 2k (p50 → 100, p90 → 180, p99 → 198)
    samples = [sample(n, float(n + 1)) for n in range(199)]
    assert latency_summary(samples) == {"p50": 100.0, "p90": 180.0, "p99": 198.0, "max": 199.0}
    # 3 values 10, 40, 20: p50 at rank 2 (20), whatever the order they came in
    assert latency_summary([sample(0, 10.0), sample(1, 40.0), sample(2, 20.0)])["p50"] == 20.0


def test_the_slowest_one_percent_rounds_up_and_comes_slowest_first() -> None:
    for count, expected in ((1, 1), (99, 1), (100, 1), (101, 2), (200, 2), (201, 3), (2000, 20)):
        assert len(slowest([sample(n, float(n)) for n in range(count)])) == expected
    tail = slowest([sample(n, float(n)) for n in range(201)])
    assert [s.latency for s in tail] == [200.0, 199.0, 198.0]


def test_the_median_of_an_even_count_is_the_lower_middle() -> None:
    assert median([sample(0, 40.0), sample(1, 10.0), sample(2, 30.0), sample(3, 20.0)]).number == 3


def test_where_the_time_went() -> None:
    # 120 ms from the scheduled send; the server's total 20 ms: 100 ms queued outside it, of which the
    # bench sent 0.5 ms late
    slow = sample(7, 120.0, late=0.5)
    assert BREAKDOWN == ("latency", "queue", "late", "total", "registry", "catalog", "assistance", "db", "app")
    assert breakdown(slow) == [120.0, 100.0, 0.5, 20.0, 3.0, 0.0, 5.0, 8.0, 4.0]
    # the second: 60 ms, total 30 (catalog 2, db 12, app 8): queue 30; the means of the two
    other = sample(8, 60.0, late=1.5, catalog=2.0, db=12.0, app=8.0, total=30.0)
    assert mean_breakdown([slow, other]) == [90.0, 65.0, 1.0, 25.0, 3.0, 1.0, 5.0, 10.0, 6.0]


def test_server_timing_header_parsed() -> None:
    header = ('registry;dur=1.20, catalog;dur=0.00, assistance;desc="calculation";dur=2.10, db;dur=3.00, '
              "app;dur=1.70, total;dur=8.00, cache")
    assert server_phases(header) == {"registry": 1.2, "catalog": 0.0, "assistance": 2.1, "db": 3.0, "app": 1.7,
                                     "total": 8.0}
    assert server_phases("") == {}


def test_arrivals_are_fixed_in_advance() -> None:
    assert arrivals(4, 1, "uniform", seed=1) == [0.0, 0.25, 0.5, 0.75]
    assert len(arrivals(100, 20, "uniform", seed=1)) == 2000
    poisson = arrivals(100, 20, "poisson", seed=1)
    assert poisson == arrivals(100, 20, "poisson", seed=1) != arrivals(100, 20, "poisson", seed=2)
    assert poisson == sorted(poisson) and 0 < poisson[0] and poisson[-1] < 20
