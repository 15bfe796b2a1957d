"""Validation report: console table, Markdown and HTML pages with SVG plots, results.json.

The table has one row per check: claim, data source, published value ± spread, model mean and 95%
interval over seeds, tolerance (or the direction / bound), pass. Calibration targets, test targets
held to published numbers, directions and design bounds are separate sections. Plots show each arm's
mean over seeds (band: lowest to highest seed) with the published points and their error bars.

Everything written is a pure function of the claims, the seeds, the overrides and the runs (no dates,
no timings), so the same inputs give byte-identical files. Files are written atomically.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np

from engine.observables import COLUMNS, atomic_write_text

from .arms import ArmRun
from .evaluate import CheckResult, ClaimResult, _g

_TAG = re.compile(r"^[A-Za-z]\d+\s+")

SECTIONS = (("calibration", "Calibration targets (data the calibrated parameters were fitted to)"),
            ("data", "Test targets: published numbers (data not used in any fit)"),
            ("direction", "Test targets: published directions (95% interval must exclude no change)"),
            ("bound", "Design bounds (no published number found) and published statements held to a bound"))


def section_of(result: ClaimResult, check: CheckResult) -> str:
    if result.role == "calibration" or check.check.role == "calibration":
        return "calibration"
    return check.rule


def rows(results: list[ClaimResult]) -> dict[str, list[tuple[ClaimResult, CheckResult]]]:
    out: dict[str, list] = {k: [] for k, _ in SECTIONS}
    for r in results:
        for c in r.checks:
            out[section_of(r, c)].append((r, c))
    return out


def tally(results: list[ClaimResult]) -> dict:
    """Counts for the summary: claims (merged duplicates counted once) and checks by rule."""
    distinct = [r for r in results if not r.merged_with]
    checks = [(r, c) for r in results for c in r.checks if not c.duplicate_of]
    data = [(r, c) for r, c in checks if section_of(r, c) == "data"]
    return {"n_claims": len(distinct), "n_passed": sum(r.passed for r in distinct),
            "failed": [r.claim.id for r in distinct if not r.passed],
            "merged": {r.claim.id: r.merged_with for r in results if r.merged_with},
            "n_checks": len(checks), "n_checks_passed": sum(c.passed for _, c in checks),
            "n_quantitative": len(data), "n_quantitative_passed": sum(c.passed for _, c in data),
            "n_duplicates": sum(1 for r in results for c in r.checks if c.duplicate_of)}


# ---------------------------------------------------------------------- plots
def _arm_label(sid: str, runs: dict[tuple[str, int], ArmRun], seeds: list[int]) -> str:
    name = runs[(sid, seeds[0])].metadata.get("scenario", sid)
    return f"{_TAG.sub('', name)} [{sid}]"


def _baseline(column: str, run: ArmRun) -> float | None:
    from engine import ParameterSet

    if column == "platelets_rel":
        return 1.0
    if column == "platelets":
        p = ParameterSet(run.metadata.get("species", "mouse"), dict(run.job.overrides))
        return p["platelet_baseline"]
    return None


def plot_claim(result: ClaimResult, column: str, runs: dict[tuple[str, int], ArmRun], seeds: list[int]):
    """Figure: each arm's mean over seeds (band = lowest to highest seed) and the published points
    of the claim's data tables for that arm and column."""
    from analysis import palette
    from analysis.plotting import ErrorPoints, HLine, Line, Span, line_figure
    from analysis.published import published_for_scenario

    claim = result.claim
    lines, bars = [], []
    first = runs[(claim.scenarios[0], seeds[0])]
    for k, sid in enumerate(claim.scenarios):
        rs = [runs[(sid, s)] for s in seeds]
        n = min(len(r.day) for r in rs)
        t = rs[0].day[:n]
        stack = np.vstack([r[column][:n] for r in rs])
        lo, hi = (stack.min(0), stack.max(0)) if len(rs) > 1 else (None, None)
        col = palette.series_colour(k)
        lines.append(Line(_arm_label(sid, runs, seeds), t, stack.mean(0), lo, hi, colour=col))
        for p in published_for_scenario(sid):
            if p.table_id in claim.data and p.column == column:
                bars.append(ErrorPoints(p.label, p.days, p.mean, p.lower, p.upper, colour=col))
    hlines = []
    if claim.baseline_line:
        b = _baseline(column, first)
        if b is not None:
            hlines.append(HLine(b, f"baseline ({_g(b)})"))
    hlines += [HLine(line.y, line.label) for line in claim.lines if line.column == column]
    end = max(float(ln.x[-1]) for ln in lines if len(ln.x))
    spans, seen = [], set()
    for cr in result.checks:
        c = cr.check
        if c.column == column and c.window and (c.window[0] > 1e-9 or c.window[1] < end - 1e-9):
            if tuple(c.window) not in seen:
                seen.add(tuple(c.window))
                spans.append(Span(c.window[0], c.window[1], "evaluation window(s)"))
    unit = first.units.get(column, COLUMNS[column][0])
    nseed = f"mean of {len(seeds)} seeds, band = lowest to highest seed" if len(seeds) > 1 else f"seed {seeds[0]}"
    return line_figure(lines, errorbars=bars, title=f"{claim.id}: {COLUMNS[column][1]}\n({nseed})",
                       xlabel="day", ylabel=f"{column} [{unit}]", hlines=hlines, spans=spans)


# ---------------------------------------------------------------------- documents
def results_document(results: list[ClaimResult], runs: dict[tuple[str, int], ArmRun], seeds: list[int],
                     overrides: dict[str, float], claims_source: str, plots: dict[str, list[str]]) -> dict:
    from engine.runtime import app_version

    scenarios = {}
    for (sid, seed), r in sorted(runs.items()):
        if sid in scenarios:
            continue
        scenarios[sid] = {"name": r.metadata.get("scenario", sid), "file": f"resources/scenarios/{sid}.toml",
                          "days_run": r.scenario_days, "species": r.metadata.get("species"),
                          "genotype": r.metadata.get("genotype"), "events": r.metadata.get("events", "")}
    t = tally(results)
    return {
        "app": "NicheLab", "app_version": app_version(), "claims_file": claims_source,
        "seeds": list(seeds), "parameter_overrides": {k: overrides[k] for k in sorted(overrides)},
        "passed": all(r.passed for r in results), **t,
        "claims": [{"id": r.claim.id, "title": r.claim.title, "statement": r.claim.statement,
                    "design": r.claim.design, "role": r.role, "data": list(r.claim.data), "rule": r.claim.rule,
                    "scenarios": list(r.claim.scenarios), "passed": r.passed, "merged_with": r.merged_with,
                    "plots": plots.get(r.claim.id, []), "checks": [c.to_dict() for c in r.checks]}
                   for r in results],
        "scenarios": scenarios,
    }


def _cells(r: ClaimResult, c: CheckResult) -> list[str]:
    result = "PASS" if c.passed else "FAIL"
    if c.duplicate_of:
        result += f" (= {c.duplicate_of})"
    return [r.claim.id, c.check.label, c.source or "-", c.published_text(), c.observed_text(), c.expected_text(),
            result]


HEAD = ["claim", "check", "data source", "published", "model mean [95% CI]", "tolerance / rule", "result"]


def console_table(results: list[ClaimResult], seeds: list[int]) -> str:
    lines = []
    for key, title in SECTIONS:
        body = [_cells(r, c) for r, c in rows(results)[key]]
        if not body:
            continue
        table = [HEAD] + body
        widths = [min(max(len(row[k]) for row in table), cap)
                  for k, cap in enumerate((5, 40, 34, 26, 44, 26, 40))]
        lines += ["", f"== {title}"]
        for j, row in enumerate(table):
            cells = [row[k] if len(row[k]) <= widths[k] else row[k][: widths[k] - 1] + "…" for k in range(7)]
            lines.append("  ".join(cells[k].ljust(widths[k]) for k in range(7)).rstrip())
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
    t = tally(results)
    lines.append("")
    lines.append(f"{t['n_passed']} of {t['n_claims']} claims pass ({len(seeds)} seeds; 95% t-intervals over seeds)"
                 + (f"; failing: {', '.join(t['failed'])}" if t["failed"] else ""))
    lines.append(f"quantitative test checks against published numbers: {t['n_quantitative_passed']} of "
                 f"{t['n_quantitative']} pass")
    if t["merged"]:
        lines.append("reported as one (identical numbers): " +
                     ", ".join(f"{a} = {b}" for a, b in t["merged"].items()))
    if any(any(c.censored) for r in results for c in r.checks):
        lines.append("(* censored: event not reached inside the window; the window end entered as a lower bound)")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|")


def markdown_report(doc: dict, results: list[ClaimResult], seeds: list[int]) -> str:
    ov = doc["parameter_overrides"]
    out = ["# NicheLab validation report", "",
           f"NicheLab {doc['app_version']} · claims: `{doc['claims_file']}` · {len(seeds)} seeds: "
           f"{', '.join(map(str, seeds))} · parameter overrides: "
           f"{', '.join(f'{k}={v:g}' for k, v in ov.items()) or 'none'}", "",
           f"**{doc['n_passed']} of {doc['n_claims']} claims pass**"
           + (f" (failing: {', '.join(doc['failed'])})" if doc["failed"] else "") + "; "
           f"quantitative test checks against published numbers: **{doc['n_quantitative_passed']} of "
           f"{doc['n_quantitative']} pass**.", "",
           "Each claim runs its scenarios (`resources/scenarios/`) headless with every seed. Model values are "
           "the mean over seeds with the 95% confidence interval of the mean (Student t). A check against a "
           "published number passes when the model mean lies inside the tolerance: the published range, or "
           "the published mean ± 2 SD of single animals (SD, or SEM × √n, or the SD between studies). A "
           "direction passes only when its 95% interval excludes no change. Event days that do not exist (the "
           "count never fell below the level) are left out and counted; `*` marks events not reached inside "
           "the window (the window's end entered as a lower bound). Checks computing identical numbers "
           "against the same rule are reported once (`= ...`). Data tables: `resources/data/`."]
    if doc["merged"]:
        out += ["", "Reported as one (identical numbers): " +
                ", ".join(f"{a} = {b}" for a, b in doc["merged"].items()) + "."]
    for key, title in SECTIONS:
        body = rows(results)[key]
        if not body:
            continue
        out += ["", f"## {title}", "", "| " + " | ".join(HEAD) + " |", "|" + " --- |" * len(HEAD)]
        for r, c in body:
            cells = _cells(r, c)
            cells[0] = f"[{cells[0]}](#{r.claim.id.lower()})"
            if not c.passed:
                cells[-1] = f"**{cells[-1]}**"
            out.append("| " + " | ".join(_md(x) for x in cells) + " |")
    for r, d in zip(results, doc["claims"]):
        cl = r.claim
        merged = f" (reported as one with {r.merged_with})" if r.merged_with else ""
        out += ["", f"<a id=\"{cl.id.lower()}\"></a>", "",
                f"## {cl.id}: {cl.title} — {'PASS' if r.passed else 'FAIL'}{merged}", "",
                f"**Claim.** {cl.statement}  ", f"**Role.** {r.role}" + (f" · design claim {cl.design}" if cl.design
                                                                         else "") + "  ",
                f"**Acceptance rule.** {cl.rule}", "",
                "**Scenarios.** " + ", ".join(f"`{s}` ({doc['scenarios'][s]['name']}, {doc['scenarios'][s]['days_run']:g} d run)"
                                              for s in cl.scenarios), ""]
        cites = sorted({c.citation for c in r.checks if c.citation})
        if cites:
            out += ["**Sources.**", ""] + [f"- {_md(x)}" for x in cites] + [""]
        out += ["| check | measured | per seed | result |", "| --- | --- | --- | --- |"]
        for c in r.checks:
            if c.arm_per_seed:
                per = "; ".join(f"{a}: {', '.join(_g(x) for x in v)}" for a, v in c.arm_per_seed.items())
            else:
                per = ", ".join(("*" if cen else "") + _g(v) for v, cen in zip(c.per_seed, c.censored))
            out.append(f"| {_md(c.check.label)} | {_md(c.check.measure_text())} | {_md(per)} | "
                       f"{'PASS' if c.passed else '**FAIL**'} |")
        notes = sorted({n for c in r.checks for n in c.notes})
        if notes:
            out += ["", "Notes: " + "; ".join(notes[:12]) + (" …" if len(notes) > 12 else "")]
        for p in d["plots"]:
            column = Path(p).stem.split("_", 1)[1]
            out += ["", f"![{cl.id}: {COLUMNS[column][1]}]({p})"]
    return "\n".join(out) + "\n"


_CSS = """body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:12px}th,td{border:1px solid #ccc;padding:4px 6px;
text-align:left;vertical-align:top}th{background:#f2f2f2}.pass{color:#006d2c;font-weight:bold}
.fail{color:#b30000;font-weight:bold}.plot{margin:1em 0}code{background:#f4f4f4;padding:0 3px}"""


def html_report(doc: dict, results: list[ClaimResult], seeds: list[int], svgs: dict[str, str]) -> str:
    e = html.escape

    def verdict(ok, extra=""):
        return f'<span class="{"pass" if ok else "fail"}">{"PASS" if ok else "FAIL"}</span>{e(extra)}'

    ov = doc["parameter_overrides"]
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>NicheLab validation report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>NicheLab validation report</h1>",
           f"<p>NicheLab {e(doc['app_version'])} · claims: <code>{e(doc['claims_file'])}</code> · "
           f"{len(seeds)} seeds · parameter overrides: "
           f"{e(', '.join(f'{k}={v:g}' for k, v in ov.items()) or 'none')}</p>",
           f"<p><b>{doc['n_passed']} of {doc['n_claims']} claims pass</b>"
           + (f" (failing: {e(', '.join(doc['failed']))})" if doc["failed"] else "")
           + f"; quantitative test checks: <b>{doc['n_quantitative_passed']} of {doc['n_quantitative']}</b> "
           "pass. Model: mean over seeds [95% t-interval].</p>"]
    for key, title in SECTIONS:
        body = rows(results)[key]
        if not body:
            continue
        out += [f"<h2>{e(title)}</h2><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEAD) + "</tr>"]
        for r, c in body:
            cells = _cells(r, c)
            cid = f'<a href="#{e(r.claim.id.lower())}">{e(r.claim.id)}</a>'
            extra = f" (= {c.duplicate_of})" if c.duplicate_of else ""
            out.append(f"<tr><td>{cid}</td>" + "".join(f"<td>{e(x)}</td>" for x in cells[1:-1])
                       + f"<td>{verdict(c.passed, extra)}</td></tr>")
        out.append("</table>")
    for r, d in zip(results, doc["claims"]):
        cl = r.claim
        out += [f'<h2 id="{e(cl.id.lower())}">{e(cl.id)}: {e(cl.title)} — {verdict(r.passed)}</h2>',
                f"<p><b>Claim.</b> {e(cl.statement)}<br><b>Role.</b> {e(r.role)}<br>"
                f"<b>Acceptance rule.</b> {e(cl.rule)}</p>"]
        cites = sorted({c.citation for c in r.checks if c.citation})
        if cites:
            out.append("<p><b>Sources.</b></p><ul>" + "".join(f"<li>{e(x)}</li>" for x in cites) + "</ul>")
        for p in d["plots"]:
            svg = svgs[p]
            out.append('<div class="plot">' + svg[svg.index("<svg"):] + "</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_report(out_dir: str | Path, outcome) -> dict:
    """Write report.md, report.html, plots/*.svg and results.json into out_dir; return the results document."""
    from analysis.plotting import svg_text

    results, runs, seeds = outcome.results, outcome.runs, outcome.seeds
    out = Path(out_dir)
    plots_dir = out / "plots"
    plots: dict[str, list[str]] = {}
    svgs: dict[str, str] = {}
    for r in results:
        for column in r.claim.plot:
            rel = f"plots/{r.claim.id}_{column}.svg"
            svgs[rel] = svg_text(plot_claim(r, column, runs, seeds))
            plots.setdefault(r.claim.id, []).append(rel)
    doc = results_document(results, runs, seeds, outcome.overrides, outcome.claims_source, plots)
    for rel, svg in svgs.items():
        atomic_write_text(out / rel, svg)
    # plots of an earlier report that this one does not have would mislead: remove them
    if plots_dir.is_dir():
        for old in plots_dir.glob("*.svg"):
            if f"plots/{old.name}" not in svgs:
                old.unlink()
    atomic_write_text(out / "report.md", markdown_report(doc, results, seeds))
    atomic_write_text(out / "report.html", html_report(doc, results, seeds, svgs))
    atomic_write_text(out / "results.json", json.dumps(doc, indent=1, sort_keys=False, allow_nan=False) + "\n")
    return doc
