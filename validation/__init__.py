"""NicheLab validation: claims held to published data, their runs, their report. No Qt here.

Typical use::

    from validation import load_claims, run_validation, write_report
    claims = load_claims()
    outcome = run_validation(claims, seeds=list(range(1, 11)))
    outcome.passed, outcome.results[0].checks[0].interval
    write_report("validation-report", outcome)
"""
from __future__ import annotations

from dataclasses import dataclass

#: seeds per arm in `python main.py validate` (95% intervals need enough of them)
DEFAULT_SEEDS = 10
#: seeds in the fast subset of the test suite (tests/test_claims.py)
TEST_SEEDS = 2

from .arms import ArmRun, Job, run_jobs  # noqa: E402
from .claims import Check, Claim, claims_file, load_claims, parse_claims, select  # noqa: E402
from .evaluate import CheckResult, ClaimResult, evaluate, jobs_for  # noqa: E402
from .report import console_table, write_report  # noqa: E402


@dataclass
class Outcome:
    results: list[ClaimResult]
    runs: dict[tuple[str, int], ArmRun]
    seeds: list[int]
    overrides: dict[str, float]
    claims_source: str = "resources/claims.toml"

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def by_id(self, claim_id: str) -> ClaimResult:
        return next(r for r in self.results if r.claim.id == claim_id)


def run_validation(claims: list[Claim], seeds: list[int], overrides: dict[str, float] | None = None,
                   workers: int | None = None, progress=None, cache: dict | None = None,
                   claims_source: str = "resources/claims.toml") -> Outcome:
    """Run every arm the claims need (each distinct run once, spin-ups shared) and evaluate the claims.

    ``progress(fraction)`` is called as the runs proceed."""
    overrides = dict(overrides or {})
    jobs = jobs_for(claims, seeds, overrides)
    done = run_jobs(jobs, workers=workers, progress=progress, cache=cache)
    runs = {(r.job.scenario, r.job.seed): r for r in done.values()}
    return Outcome(evaluate(claims, done, seeds), runs, list(seeds), overrides, claims_source)


__all__ = ["DEFAULT_SEEDS", "TEST_SEEDS", "Check", "Claim", "CheckResult", "ClaimResult", "ArmRun", "Job",
           "Outcome", "claims_file", "load_claims", "parse_claims", "select", "evaluate", "jobs_for", "run_jobs",
           "run_validation", "console_table", "write_report"]
