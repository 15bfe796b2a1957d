"""`validate`: run every published claim (DESIGN.md section 4) headless and write a report."""
from __future__ import annotations

import sys
import time

NAME = "validate"
HELP = ("Hold the model to the published data (resources/claims.toml, resources/data/): run the claim "
        "scenarios headless over several seeds (spin-ups shared, in parallel processes), print the table "
        "claim / data source / published value / model mean and 95% interval / tolerance / pass, write "
        "report.md, report.html, plots and results.json. Exit status 0 only when every claim passes "
        "(1 if any fails, 2 on bad input).")


def parents():
    from .common import progress_parent

    return [progress_parent()]


def add_arguments(ap):
    from validation import DEFAULT_SEEDS

    from .common import seed_value, seeds_value, workers_value

    ap.add_argument("--seeds", type=seeds_value, default=DEFAULT_SEEDS, metavar="N",
                    help=f"number of seeds per arm: S, S+1, ..., S+N-1 with S = --first-seed (default {DEFAULT_SEEDS})")
    ap.add_argument("--first-seed", type=seed_value, default=1, metavar="S", help="first seed (default 1)")
    ap.add_argument("--out", default="validation-report", metavar="DIR",
                    help="folder for report.md, report.html, plots/ and results.json (default ./validation-report)")
    ap.add_argument("--claims", default="", metavar="IDS", help="only these claims, comma-separated (e.g. V2,V5)")
    ap.add_argument("--claims-file", default=None, metavar="FILE",
                    help="a claims TOML file (default: the built-in resources/claims.toml)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a model parameter in every run (repeatable), e.g. --set mk_chemotaxis=80")
    ap.add_argument("--jobs", type=workers_value, default=None, metavar="N",
                    help="parallel worker processes (default: one per CPU core; 1 = run in this process)")
    ap.add_argument("--no-report", action="store_true", help="print the table only, write no files")


def _load_average() -> str:
    import os

    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _parse_overrides(items):
    from engine import InputError, ParameterSet

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InputError("expected NAME=VALUE", field="--set", expected="e.g. mk_chemotaxis=80", found=item)
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError("not a number", field=f"--set {name.strip()}", expected="a number",
                             found=value) from None
    # names and ranges checked against the parameter table (both species)
    for species in ("mouse", "human"):
        ParameterSet(species, out, source_file="--set")
    return out


def main(args) -> int:
    from engine import InputError
    from validation import console_table, load_claims, run_validation, select, write_report

    from .common import ProgressBar

    if args.seeds < 1:
        raise InputError("must be at least 1", field="--seeds", expected=">= 1", found=args.seeds)
    if args.first_seed < 0:
        raise InputError("must not be negative", field="--first-seed", expected=">= 0", found=args.first_seed)
    if args.jobs is not None and args.jobs < 1:
        raise InputError("must be at least 1", field="--jobs", expected=">= 1", found=args.jobs)
    from engine.scenario import SEED_MAX

    if args.first_seed + args.seeds - 1 > SEED_MAX:
        raise InputError("the largest seed would be out of range", field="--seeds",
                         expected=f"--first-seed + --seeds - 1 <= {SEED_MAX}", found=args.seeds)
    overrides = _parse_overrides(args.set)
    claims = select(load_claims(args.claims_file), args.claims)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    source = args.claims_file or "resources/claims.toml"
    if not args.no_report:
        from engine.files import check_output_dir

        check_output_dir(args.out, "--out")        # before any run, not after minutes of work

    bar = ProgressBar(f"validate ({len(claims)} claims, {len(seeds)} seed{'s' if len(seeds) > 1 else ''})", 1000,
                      enabled=True if args.progress else None)

    def progress(fraction):
        bar(int(round(1000 * fraction)), 1000)

    t0 = time.perf_counter()
    outcome = run_validation(claims, seeds, overrides, workers=args.jobs, progress=progress, claims_source=source)
    wall = time.perf_counter() - t0
    print(console_table(outcome.results, seeds))
    runs = len(outcome.runs)
    cpu = sum(r.cpu_seconds for r in outcome.runs.values())
    load = _load_average()
    sys.stderr.write(f"{runs} runs ({len(seeds)} seed{'s' if len(seeds) > 1 else ''}) in {wall:.0f} s "
                     f"({cpu:.0f} s of CPU in the runs; load average {load})\n")
    if not args.no_report:
        try:
            write_report(args.out, outcome)
        except OSError as exc:
            raise InputError(f"cannot write the report: {exc.strerror or exc}", field="--out",
                             expected="a writable folder", found=args.out) from None
        print(f"report: {args.out}/report.md (also report.html, plots/, results.json)")
    return 0 if outcome.passed else 1
