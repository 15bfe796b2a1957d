"""NicheLab validation suite: the published claims (DESIGN.md section 4), their runs, their report.

No Qt here. Typical use::

    from validation import load_claims, run_validation, write_report
    claims = load_claims()
    outcome = run_validation(claims, seeds=[1, 2, 3])
    outcome.passed, outcome.results[0].checks[0].observed
    write_report("validation-report", outcome.results, outcome.runs, outcome.seeds, {}, "resources/claims.toml")
"""
from __future__ import annotations

from dataclasses import dataclass

#: seeds per arm in `python main.py validate` and in tests/test_claims.py (the same verdicts)
DEFAULT_SEEDS = 3

from .claims import Check, Claim, claims_file, load_claims, parse_claims, select
from .evaluate import CheckResult, ClaimResult, evaluate, jobs_for
from .report import console_table, write_report
from .runner import ArmRun, Job, run_jobs


@dataclass
class Outcome:
    results: list[ClaimResult]
    runs: dict[tuple[str, int], ArmRun]
    seeds: list[int]
    overrides: dict[str, float]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def by_id(self, claim_id: str) -> ClaimResult:
        return next(r for r in self.results if r.claim.id == claim_id)


def run_validation(claims: list[Claim], seeds: list[int], overrides: dict[str, float] | None = None,
                   workers: int | None = None, progress=None, cache: dict | None = None) -> Outcome:
    """Run every arm the claims need (each distinct run once) and evaluate the claims."""
    overrides = dict(overrides or {})
    jobs = jobs_for(claims, seeds, overrides)
    done = run_jobs(jobs, workers=workers, progress=progress, cache=cache)
    runs = {(r.job.scenario, r.job.seed): r for r in done.values()}
    return Outcome(evaluate(claims, done, seeds), runs, list(seeds), overrides)


__all__ = ["DEFAULT_SEEDS", "Check", "Claim", "CheckResult", "ClaimResult", "ArmRun", "Job", "Outcome", "claims_file",
           "load_claims", "parse_claims", "select", "evaluate", "jobs_for", "run_jobs", "run_validation",
           "console_table", "write_report"]
