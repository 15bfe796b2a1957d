"""Keep the parameter appendix of docs/model.md in step with resources/parameters.toml.

    python -m validation.model_doc          rewrite the appendix in place
    python -m validation.model_doc --check  exit 1 if it is out of date
"""
from __future__ import annotations

import sys
from pathlib import Path

BEGIN = "<!-- parameter-table:begin -->"
END = "<!-- parameter-table:end -->"


def model_doc_path() -> Path:
    from engine.runtime import project_root

    return project_root() / "docs" / "model.md"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def parameter_appendix() -> str:
    """The Markdown tables (one per group) of every parameter, in file order within each group."""
    from engine import parameter_table

    groups: dict[str, list] = {}
    for p in parameter_table().values():
        groups.setdefault(p.group, []).append(p)
    out = []
    for group, params in groups.items():
        out += [f"### {group}", "", "| parameter | unit | mouse | human | range | meaning | source |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for p in params:
            out.append(f"| `{p.name}` | {_cell(p.unit)} | {_num(p.default)} | {_num(p.human)} | "
                       f"{_num(p.min)}..{_num(p.max)} | {_cell(p.description)} | {_cell(p.source)} |")
        out.append("")
    return "\n".join(out)


def render(text: str) -> str:
    """The document with its appendix regenerated."""
    head, sep, rest = text.partition(BEGIN)
    if not sep or END not in rest:
        raise ValueError(f"docs/model.md lacks the markers {BEGIN} ... {END}")
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{parameter_appendix()}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    from engine.observables import atomic_write_text

    argv = sys.argv[1:] if argv is None else argv
    path = model_doc_path()
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        if new != text:
            print(f"{path}: parameter appendix out of date; run: python -m validation.model_doc", file=sys.stderr)
            return 1
        return 0
    if new != text:
        atomic_write_text(path, new)
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
