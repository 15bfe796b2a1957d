"""Glossary (studies.glossary, resources/glossary.toml)."""
import pytest

from engine import InputError
from studies.glossary import load_glossary, parse_glossary

REQUIRED = ["HSC", "HSPC", "MKP", "megakaryocyte", "ploidy", "proplatelet", "platelet", "TPO", "Mpl", "Thpo−/−",
            "Mpl−/−", "IL-6", "IL-11", "SDF-1", "CXCL12", "CXCR4", "FGF-4", "VCAM-1", "VLA-4", "VE-cadherin",
            "sinusoid", "vascular niche", "endosteal niche", "CAR cell", "MSC", "MSC-EV", "5-FU", "irradiation",
            "conditioning", "myelosuppression", "HSCT", "engraftment", "donor chimerism", "niche occupancy",
            "nadir", "thrombocytopenia", "AMD3100"]


def test_every_required_term_has_tooltip_explanation_and_source():
    g = load_glossary()
    for name in REQUIRED:
        t = g.lookup(name)
        assert 10 <= len(t.short) <= 300 and len(t.long) > len(t.short) and t.source
        assert g.tooltip(name).startswith(t.term + ": ")


def test_lookup_is_case_and_dash_insensitive_and_see_also_resolves():
    g = load_glossary()
    assert g.lookup("cxcl12").id == "sdf1"
    assert g.lookup("Thpo-/-").id == "thpo_ko"        # ASCII minus finds the Unicode term
    assert g.lookup("plerixafor").id == "amd3100"
    assert g.tooltip("no such term") == "" and "nope" not in g
    for t in g.terms:
        for other in t.see_also:
            g.by_id(other)
    with pytest.raises(KeyError):
        g.lookup("nope")


def entry(i, **kw):
    d = {"id": f"t{i}", "term": f"Term {i}", "short": "A short definition.", "long": "A longer explanation here.",
         "source": "Someone 2020"}
    d.update(kw)
    return d


@pytest.mark.parametrize("terms, words", [
    ([entry(1), entry(1)], "duplicate term id"),
    ([entry(1, aliases=["X"]), entry(2, aliases=["x"])], "already used by term 't1'"),
    ([entry(1, see_also=["t9"])], "unknown term id"),
    ([entry(1, colour="red")], "unknown key"),
    ([entry(1, short="short")], "at least 10 characters"),
])
def test_bad_glossary_entries_are_named(terms, words):
    with pytest.raises(InputError, match=words) as exc:
        parse_glossary({"term": terms}, "g.toml")
    assert "g.toml" in str(exc.value)


def test_bad_glossary_file(tmp_path):
    p = tmp_path / "g.toml"
    p.write_text("[[term]]\nid = ")
    with pytest.raises(InputError, match="malformed TOML"):
        load_glossary(p)
