"""Validation report: console table, Markdown and HTML pages with SVG plots, results.json.

Everything written is a pure function of the claims, the seeds, the overrides
and the runs (no dates, no timings), so the same inputs give byte-identical
files. Files are written atomically (temporary file, then rename).
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np

from engine.observables import COLUMNS, atomic_write_text

from .evaluate import ClaimResult, _g
from .runner import ArmRun
from .svg_plot import HLine, Series, Span, line_plot

_TAG = re.compile(r"^[A-Za-z]\d+\s+")


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


def plot_claim(result: ClaimResult, column: str, runs: dict[tuple[str, int], ArmRun], seeds: list[int]) -> str:
    claim = result.claim
    series = []
    first = runs[(claim.scenarios[0], seeds[0])]
    for sid in claim.scenarios:
        rs = [runs[(sid, s)] for s in seeds]
        n = min(len(r.day) for r in rs)
        t = rs[0].day[:n]
        stack = np.vstack([r[column][:n] for r in rs])
        lo, hi = (stack.min(0), stack.max(0)) if len(rs) > 1 else (None, None)
        series.append(Series(_arm_label(sid, runs, seeds), t, stack.mean(0), lo, hi))
    hlines = []
    if claim.baseline_line:
        b = _baseline(column, first)
        if b is not None:
            hlines.append(HLine(b, f"baseline ({_g(b)})"))
    hlines += [HLine(line.y, line.label) for line in claim.lines if line.column == column]
    end = max(float(s.x[-1]) for s in series if len(s.x))
    spans, seen = [], set()
    for cr in result.checks:
        c = cr.check
        if c.column == column and c.window and (c.window[0] > 1e-9 or c.window[1] < end - 1e-9):
            if tuple(c.window) not in seen:
                seen.add(tuple(c.window))
                spans.append(Span(c.window[0], c.window[1], f"days {c.window[0]:g}-{c.window[1]:g}"))
    unit = first.units.get(column, COLUMNS[column][0])
    desc = COLUMNS[column][1]
    nseed = f"mean of {len(seeds)} seeds, band = range" if len(seeds) > 1 else f"seed {seeds[0]}"
    return line_plot(series, title=f"{claim.id}: {desc} ({nseed})", xlabel="day",
                     ylabel=f"{column} [{unit}]", hlines=hlines, spans=spans)


def results_document(results: list[ClaimResult], runs: dict[tuple[str, int], ArmRun], seeds: list[int],
                     overrides: dict[str, float], claims_source: str, plots: dict[str, list[str]]) -> dict:
    from engine.runtime import app_version

    scenarios = {}
    for (sid, seed), r in sorted(runs.items()):
        if sid in scenarios:
            continue
        scenarios[sid] = {"name": r.metadata.get("scenario", sid), "file": f"resources/scenarios/{sid}.toml",
                          "days": r.scenario_days, "species": r.metadata.get("species"),
                          "genotype": r.metadata.get("genotype"), "events": r.metadata.get("events", "")}
    return {
        "app": "NicheLab", "app_version": app_version(), "claims_file": claims_source,
        "seeds": list(seeds), "parameter_overrides": {k: overrides[k] for k in sorted(overrides)},
        "passed": all(r.passed for r in results),
        "n_claims": len(results), "n_passed": sum(r.passed for r in results),
        "failed": [r.claim.id for r in results if not r.passed],
        "claims": [{"id": r.claim.id, "title": r.claim.title, "statement": r.claim.statement,
                    "source": r.claim.source, "rule": r.claim.rule, "scenarios": list(r.claim.scenarios),
                    "passed": r.passed, "plots": plots.get(r.claim.id, []),
                    "checks": [c.to_dict() for c in r.checks]} for r in results],
        "scenarios": scenarios,
    }


# ---------------------------------------------------------------------- text table
def console_table(results: list[ClaimResult], seeds: list[int]) -> str:
    head = (f"observed (mean ± SD [min, max] over {len(seeds)} seeds)" if len(seeds) > 1
            else f"observed (seed {seeds[0]})")
    rows = [("claim", "check", "expected", head, "result")]
    for r in results:
        for i, c in enumerate(r.checks):
            rows.append((r.claim.id if i == 0 else "", c.check.label, c.check.expected_text(), c.observed_text(),
                         "PASS" if c.passed else "FAIL"))
    widths = [max(len(row[k]) for row in rows) for k in range(5)]
    widths[1] = min(widths[1], 46)
    lines = []
    for j, row in enumerate(rows):
        cells = [row[k] if len(row[k]) <= widths[k] else row[k][: widths[k] - 1] + "…" for k in range(5)]
        lines.append("  ".join(cells[k].ljust(widths[k]) for k in range(5)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    n_pass = sum(r.passed for r in results)
    failed = [r.claim.id for r in results if not r.passed]
    lines.append("")
    lines.append(f"{n_pass} of {len(results)} claims pass" + (f"; failing: {', '.join(failed)}" if failed else "")
                 + ("  (* = event not reached inside the window; the window end was used)"
                    if any(any(c.censored) or any(c.arm_censored.values()) for r in results for c in r.checks)
                    else ""))
    return "\n".join(lines)


# ---------------------------------------------------------------------- markdown
def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(doc: dict, results: list[ClaimResult], seeds: list[int]) -> str:
    ov = doc["parameter_overrides"]
    out = ["# NicheLab validation report", "",
           f"NicheLab {doc['app_version']} · claims: `{doc['claims_file']}` · seeds: "
           f"{', '.join(map(str, seeds))} · parameter overrides: "
           f"{', '.join(f'`{k}={v:g}`' for k, v in ov.items()) or 'none'}", "",
           f"**{doc['n_passed']} of {doc['n_claims']} claims pass**"
           + (f" (failing: {', '.join(doc['failed'])})" if doc["failed"] else "") + ".", "",
           "Each claim of the design brief (section 4) is run headless on its scenario files (one per arm, in "
           "`resources/scenarios/`) with every seed listed; observed values are the mean over seeds ± standard "
           "deviation [lowest, highest seed]. A ratio or difference is formed per seed against the reference arm "
           "run with the same seed. The acceptance rule is applied to the mean over seeds unless it says "
           "\"every seed\". `*`: the event was not reached inside the window and the window's end was used.", "",
           "## Summary", "",
           "| Claim | Check | Expected | Observed | Result |", "| --- | --- | --- | --- | --- |"]
    for r in results:
        for i, c in enumerate(r.checks):
            out.append(f"| {f'[{r.claim.id}](#{r.claim.id.lower()})' if i == 0 else ''} | {_md(c.check.label)} | "
                       f"{_md(c.check.expected_text())} | {_md(c.observed_text())} | "
                       f"{'PASS' if c.passed else '**FAIL**'} |")
    for r, d in zip(results, doc["claims"]):
        cl = r.claim
        out += ["", f"<a id=\"{cl.id.lower()}\"></a>", "",
                f"## {cl.id}: {cl.title} — {'PASS' if r.passed else 'FAIL'}", "",
                f"**Claim.** {cl.statement}  ", f"**Source.** {cl.source}  ", f"**Acceptance rule.** {cl.rule}", "",
                "**Scenarios.** " + ", ".join(f"`{s}` ({doc['scenarios'][s]['name']})" for s in cl.scenarios), "",
                "| Check | Measured | Expected | Observed | Per seed | Result |",
                "| --- | --- | --- | --- | --- | --- |"]
        for c in r.checks:
            if c.check.kind in ("decreasing", "increasing"):
                per = "; ".join(f"{a}: {', '.join(_g(x) for x in c.arm_per_seed.get(a, []))}"
                                for a in c.arm_means)
            else:
                per = ", ".join(("*" if cen else "") + _g(v) for v, cen in zip(c.per_seed, c.censored))
            out.append(f"| {_md(c.check.label)} | {_md(c.check.measure_text())} | {_md(c.check.expected_text())} | "
                       f"{_md(c.observed_text())} | {_md(per)} | {'PASS' if c.passed else '**FAIL**'} |")
        notes = sorted({n for c in r.checks for n in c.notes})
        if notes:
            out += ["", "Notes: " + "; ".join(notes[:12]) + (" …" if len(notes) > 12 else "")]
        for p in d["plots"]:
            column = Path(p).stem.split("_", 1)[1]
            out += ["", f"![{cl.id}: {COLUMNS[column][1]}]({p})"]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- html
_CSS = """body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f2f2f2}.pass{color:#006d2c;font-weight:bold}
.fail{color:#b30000;font-weight:bold}.plot{margin:1em 0}code{background:#f4f4f4;padding:0 3px}"""


def html_report(doc: dict, results: list[ClaimResult], seeds: list[int], svgs: dict[str, str]) -> str:
    e = html.escape

    def verdict(ok):
        return f'<span class="{"pass" if ok else "fail"}">{"PASS" if ok else "FAIL"}</span>'

    ov = doc["parameter_overrides"]
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>NicheLab validation report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>NicheLab validation report</h1>",
           f"<p>NicheLab {e(doc['app_version'])} · claims: <code>{e(doc['claims_file'])}</code> · seeds: "
           f"{e(', '.join(map(str, seeds)))} · parameter overrides: "
           f"{e(', '.join(f'{k}={v:g}' for k, v in ov.items()) or 'none')}</p>",
           f"<p><b>{doc['n_passed']} of {doc['n_claims']} claims pass</b>"
           + (f" (failing: {e(', '.join(doc['failed']))})" if doc["failed"] else "") + ".</p>",
           "<h2>Summary</h2><table><tr><th>Claim</th><th>Check</th><th>Expected</th><th>Observed</th>"
           "<th>Result</th></tr>"]
    for r in results:
        for i, c in enumerate(r.checks):
            cid = f'<a href="#{e(r.claim.id.lower())}">{e(r.claim.id)}</a>' if i == 0 else ""
            out.append(f"<tr><td>{cid}</td><td>{e(c.check.label)}</td><td>{e(c.check.expected_text())}</td>"
                       f"<td>{e(c.observed_text())}</td><td>{verdict(c.passed)}</td></tr>")
    out.append("</table>")
    for r, d in zip(results, doc["claims"]):
        cl = r.claim
        out += [f'<h2 id="{e(cl.id.lower())}">{e(cl.id)}: {e(cl.title)} — {verdict(r.passed)}</h2>',
                f"<p><b>Claim.</b> {e(cl.statement)}<br><b>Source.</b> {e(cl.source)}<br>"
                f"<b>Acceptance rule.</b> {e(cl.rule)}</p>",
                "<p><b>Scenarios.</b> " + ", ".join(f"<code>{e(s)}</code> ({e(doc['scenarios'][s]['name'])})"
                                                     for s in cl.scenarios) + "</p>",
                "<table><tr><th>Check</th><th>Measured</th><th>Expected</th><th>Observed</th><th>Result</th></tr>"]
        for c in r.checks:
            out.append(f"<tr><td>{e(c.check.label)}</td><td>{e(c.check.measure_text())}</td>"
                       f"<td>{e(c.check.expected_text())}</td><td>{e(c.observed_text())}</td>"
                       f"<td>{verdict(c.passed)}</td></tr>")
        out.append("</table>")
        for p in d["plots"]:
            svg = svgs[p]
            out.append('<div class="plot">' + svg[svg.index("<svg"):] + "</div>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- writing
def write_report(out_dir: str | Path, results: list[ClaimResult], runs: dict[tuple[str, int], ArmRun],
                 seeds: list[int], overrides: dict[str, float], claims_source: str) -> dict:
    """Write report.md, report.html, plots/*.svg and results.json into out_dir; return the results document."""
    out = Path(out_dir)
    plots_dir = out / "plots"
    plots: dict[str, list[str]] = {}
    svgs: dict[str, str] = {}
    for r in results:
        for column in r.claim.plot:
            rel = f"plots/{r.claim.id}_{column}.svg"
            svgs[rel] = plot_claim(r, column, runs, seeds)
            plots.setdefault(r.claim.id, []).append(rel)
    doc = results_document(results, runs, seeds, overrides, claims_source, plots)
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
