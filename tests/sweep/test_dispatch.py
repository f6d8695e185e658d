"""The dispatcher: longest chain first, and a callback as each task finishes."""

from infoplane.sweep._dispatch import Job, dispatch, priorities


def _add(x, *deps):
    return x + sum(sum(d) for d in deps)


def test_priorities_put_the_longest_chain_first_and_a_job_above_its_dependents():
    jobs = [
        Job("short", _add, (1,), cost=5.0),
        Job("train", _add, (2,), cost=10.0),
        Job("slow-a", _add, (3,), deps=("train",), cost=30.0),
        Job("slow-b", _add, (4,), deps=("train",), cost=20.0),
        Job("assemble", _add, (0,), deps=("train", "slow-a", "slow-b"), cost=1.0),
        Job("done", _add, (0,), cost=0.0),
    ]
    level = priorities(jobs)
    assert level["assemble"] == 1.0
    assert level["slow-a"] == 31.0 and level["slow-b"] == 21.0
    assert level["train"] == 41.0  # its own 10 s, then the longest of its dependents
    assert level["short"] == 5.0 and 0 < level["done"] < level["short"]
    for job in jobs:
        assert all(level[d] > level[job.key] for d in job.deps)
    assert max(level, key=level.get) == "train"  # the long chain starts before "short"


def test_on_done_is_called_once_per_job_as_it_finishes():
    jobs = [Job("a", _add, (1,)), Job("b", _add, (2,), deps=("a",))]
    finished = []
    results = dispatch(jobs, None, on_error=lambda job, exc: None, quiet=True,
                       on_done=lambda job: finished.append(job.key))
    assert finished == ["a", "b"] and results == {"a": 1, "b": 3}
