"""A capacity-constrained production line behaves as the M/D/1 queue: the Pollaczek–Khinchine
formula (e.g. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley 1975, ch. 5, the M/G/1
queue), with Crommelin, "Delay probability formulae when the holding times are constant", *Post
Office Electrical Engineers' Journal* 25, 1932, for the queue seen at the end of each day.

Inputs: one product made on one line that makes 1 unit a day; customers order Poisson(0.8)
units a day and a daily base-stock policy (its level high enough that no sale is lost) turns
each day's demand into a production order of the same size, so production orders are Poisson
with λ = 0.8 a day; service time 1 day, deterministic; utilisation ρ = 0.8.
Published: M/D/1 waiting line Lq = ρ² / (2(1 − ρ)) = 1.6 at ρ = 0.8 (and utilisation ρ).

Timing convention: in a day, the production ordered after demand joins the line's queue and the
line starts what its capacity allows at once (EXECUTE phase); the queue is counted at the end
of the day. So the end-of-day queue follows Q_d = max(Q_{d−1} + A_d − 1, 0), A_d the units
ordered on day d: the recursion of the number of customers waiting (not in service) just after
each departure of an M/D/1 queue whose service takes one day (Crommelin 1932). In an M/G/1
queue departures leave behind the time-average number in system N (Poisson arrivals see time
averages, and the queue moves up and down one at a time), so the mean end-of-day queue is
E[(N − 1)⁺] = L − ρ = Lq. M/M/1 has no counterpart: a line's daily capacity is a
deterministic service.
"""

from __future__ import annotations

from agents.config import CompanyConfig
from experiments.run import simulate
from sim.rng import replication_seeds

RHO = 0.8
LQ = RHO**2 / (2 * (1 - RHO))
DAYS, REPLICATIONS, WARMUP = 16_000, 12, 500


def poisson_orders_on_a_unit_capacity_line() -> CompanyConfig:
    return CompanyConfig.model_validate(
        {
            "name": "md1_line",
            "horizon_days": DAYS,
            "markets": {"all": {"patience_days": DAYS}},
            "products": {
                "widget": {
                    "price": 10.0,
                    "initial_on_hand": 60.0,
                    "demand": {"base_per_day": RHO, "noise": {"distribution": "poisson"}},
                }
            },
            "transport_modes": {
                "truck": {
                    "lead_time_days": {"distribution": "constant", "value": 1},
                    "cost_per_unit": 0.0,
                }
            },
            "plant": {
                "production_lead_time_days": 1,
                "lines": {"line": {"products": ["widget"], "capacity_per_day": 1.0}},
            },
            "policies": {
                "production": {"default": {"policy": "base_stock", "level": 60.0}},
                "purchasing": {"default": {"policy": "base_stock", "level": 0.0}, "mode": "truck"},
            },
        }
    )


def test_waiting_line_and_utilisation_match_md1(check):
    config = poisson_orders_on_a_unit_capacity_line()
    runs = [simulate(config, seed) for seed in replication_seeds(1932, REPLICATIONS)]
    assert all(run.kpis["lost_sales_units"] == 0 for run in runs)  # orders = demand, Poisson
    queues = [run.outcome.daily["production_queued"][WARMUP:, 0].mean() for run in runs]
    utilisation = [run.kpis["capacity_utilization"] for run in runs]
    check.replications("M/D/1 at ρ = 0.8: Lq (units waiting at the end of a day)", LQ, queues)
    check.replications("M/D/1 at ρ = 0.8: utilisation", RHO, utilisation)
