"""Monte Carlo on several processes and on a dask.distributed cluster: the same seed, the same numbers.

The samples come in fixed chunks, each with its own generator spawned from the seed, so
where a chunk runs (this process, local worker processes, a LocalCluster's workers) and
how many workers there are must not change a single number, the draws or the raster.
"""

import os
import time

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer

import borderkit
import borderkit.parallel
from borderkit.account import build_account
from borderkit.errors import BorderkitError, UsageError
from borderkit.montecarlo import CHUNK_SAMPLES, AccountDraws, Quantity, _coverage, _Grid, monte_carlo
from borderkit.parallel import SCHEDULER_ENV, run_chunks, use_scheduler
from borderkit.reconcile import to_components, to_figures
from borderkit.registry import baseline, baselines, components, figures, load

DATES = ["2021-06-01", "2022-09-20", "2023-04-28"]


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def raw_args():
    return load("sectors"), {n: baseline(n) for n in baselines()}


def assert_same_run(a, b):
    assert np.array_equal(a.areas_km2, b.areas_km2)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    if a.probability is not None or b.probability is not None:
        assert np.array_equal(a.probability, b.probability) and a.transform == b.transform


def test_raw_run_is_the_same_here_on_processes_and_on_a_cluster(raw_args, request, monkeypatch):
    sectors, renderings = raw_args
    samples = CHUNK_SAMPLES + 3  # two chunks, the last one short
    kw = {"samples": samples, "seed": 11, "raster_cell_m": 400.0}
    seen = []
    here = monte_carlo(sectors, renderings, DATES, workers=1, progress=seen.append, **kw)
    assert sum(seen) == samples and len(seen) == samples  # one call per sample in this process
    assert len(here.areas_km2) == samples and here.draws["sample"].tolist() == list(range(samples))
    assert not np.array_equal(here.areas_km2[:3], here.areas_km2[CHUNK_SAMPLES:])  # each chunk its own draws
    seen.clear()
    assert_same_run(here, monte_carlo(sectors, renderings, DATES, workers=2, progress=seen.append, **kw))
    assert sorted(seen) == [3, CHUNK_SAMPLES]  # one call per chunk from the workers
    cluster = request.getfixturevalue("cluster")  # after the local processes: they may fork before it starts
    assert_same_run(here, monte_carlo(sectors, renderings, DATES, workers=2, **kw))  # spawned, beside its threads
    assert_same_run(here, monte_carlo(sectors, renderings, DATES, scheduler=cluster, **kw))
    with use_scheduler(cluster):
        assert_same_run(here, monte_carlo(sectors, renderings, DATES, **kw))
    monkeypatch.setenv(SCHEDULER_ENV, cluster)
    assert_same_run(here, monte_carlo(sectors, renderings, DATES, **kw))


def test_a_chunk_draws_the_same_samples_whatever_the_run_length(raw_args):
    sectors, renderings = raw_args
    short = monte_carlo(sectors, renderings, DATES, samples=CHUNK_SAMPLES, seed=4, workers=1)
    long = monte_carlo(sectors, renderings, DATES, samples=CHUNK_SAMPLES + 3, seed=4, workers=1)
    assert np.array_equal(short.areas_km2, long.areas_km2[:CHUNK_SAMPLES])
    other = monte_carlo(sectors, renderings, DATES, samples=CHUNK_SAMPLES, seed=5, workers=1)
    assert not np.array_equal(short.areas_km2, other.areas_km2)


def test_calibrated_run_is_the_same_on_one_or_two_workers_and_on_a_cluster(cluster):
    # the calibration starts each sample's search where the last one ended: only within a chunk
    table = components()
    account = build_account(to_components(table), to_figures(figures()), resamples=10, null=0)
    draws = AccountDraws.from_account(account, dict(zip(table["id"], table["start"], strict=True)))
    args = (load("sectors"), {"soviet_line": baseline("soviet_line")})
    kw = {"account": draws, "quantities": [Quantity("all", "2023-04-28")], "samples": CHUNK_SAMPLES + 1, "seed": 3}
    here = monte_carlo(*args, workers=1, **kw)
    assert_same_run(here, monte_carlo(*args, workers=2, **kw))
    assert_same_run(here, monte_carlo(*args, scheduler=cluster, **kw))


def test_scheduler_addresses_are_checked(raw_args, monkeypatch):
    sectors, renderings = raw_args
    with pytest.raises(UsageError, match="protocol://host:port"):
        monte_carlo(sectors, renderings, DATES, samples=2, scheduler="localhost:8786")
    monkeypatch.setenv(SCHEDULER_ENV, "not an address")
    with pytest.raises(UsageError, match="protocol://host:port"):
        monte_carlo(sectors, renderings, DATES, samples=2)
    monkeypatch.delenv(SCHEDULER_ENV)
    with pytest.raises(UsageError, match="workers must be >= 1"):
        monte_carlo(sectors, renderings, DATES, samples=2, workers=0)
    monkeypatch.setattr(borderkit.parallel, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(BorderkitError, match="could not reach the dask scheduler at 'tcp://127.0.0.1:9'"):
        monte_carlo(sectors, renderings, DATES, samples=2, scheduler="tcp://127.0.0.1:9")


def test_cli_reconcile_refuses_a_malformed_scheduler(cli):
    args = ("reconcile", "--samples", "2", "--null", "0", "--resamples", "0", "--scheduler", "8786")
    result = cli(*args)
    assert result.exit_code == 2 and "protocol://host:port" in result.output and "tcp://" in result.output


def test_rasterised_coverage_is_the_cells_whose_centre_lies_in_a_zone():
    # real zones of the exact model, in a regional equal-area projection, on a 150 m grid
    line, armenia = baseline("soviet_line")
    z = borderkit.zones.zones(load("sectors"), line, armenia)
    crs = CRS.from_proj4("+proj=laea +lat_0=39.8 +lon_0=45.5 +datum=WGS84 +units=m")
    fwd = Transformer.from_crs(4326, crs, always_xy=True)
    geoms = shapely.transform(z.geometry.to_numpy(), lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    cell = 150.0
    grid = _Grid(int((ymax - ymin) // cell) + 2, int((xmax - xmin) // cell) + 2, (xmin - cell, ymax + cell, cell))
    xs = xmin - cell / 2 + cell * np.arange(grid.cols)
    ys = ymax + cell / 2 - cell * np.arange(grid.rows)
    gx, gy = np.meshgrid(xs, ys)
    expected = shapely.contains_xy(shapely.union_all(geoms), gx, gy)
    got = _coverage(geoms, grid)
    assert expected.sum() > 1000  # the zones cover many cells
    assert np.array_equal(got.astype(bool), expected)
    assert not _coverage(np.array([shapely.Polygon()], dtype=object), grid).any()


def _pid_after_a_pause(job, k, progress=None):
    time.sleep(0.5)  # long enough that a second worker takes the next chunk
    return os.getpid(), job, k


def test_local_workers_get_the_job_and_take_chunks_one_at_a_time():
    # dask's multiprocessing scheduler hands out 6 ready tasks per worker at once by default:
    # these 4 chunks would all go to one worker (and 8 chunks of 200 samples 6 to one, 2 to the other)
    job = {"shared": np.arange(3)}
    out = run_chunks(_pid_after_a_pause, job, [(k,) for k in range(4)], workers=2)
    assert [k for _, _, k in out] == [0, 1, 2, 3]
    assert all(np.array_equal(got["shared"], job["shared"]) for _, got, _ in out)
    pids = {pid for pid, _, _ in out}
    assert len(pids) == 2 and os.getpid() not in pids
