"""The docs: the shell sessions of the CLI reference run, and every rule id has an anchor.

The sessions of ``docs/cli.md`` (``$ sidecar-model ...`` lines in ``console`` blocks, each
followed by its output) are run for real in ``docs/examples`` and compared with the page,
``...`` standing for any text and line breaks for any whitespace, as in doctests.

Every rule id the library cites (in its strings, docstrings and comments) must have an anchor
in the built HTML: :mod:`sidecar_model._rule_links` names it, and the page must define it.
The HTML is built once per run with Sphinx; set ``SIDECAR_MODEL_DOCS_HTML`` to a folder built
by ``nox -s docs`` to reuse it.
"""

from __future__ import annotations

import doctest
import io
import os
import re
import shlex
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest
import yaml

from sidecar_model import _rule_links

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "sidecar_model"
EXAMPLES = DOCS / "examples"

_BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)
_PROMPT = "$ sidecar-model "


def sessions(page: Path) -> list[tuple[str, str]]:
    """Each ``$ sidecar-model ...`` command of the page's console blocks, with its output."""
    found: list[tuple[str, str]] = []
    for block in _BLOCK.findall(page.read_text(encoding="utf-8")):
        command: str | None = None
        output: list[str] = []
        for line in [*block.splitlines(), "$ end"]:
            if line.startswith("$ "):
                if command is not None:
                    found.append((command, "\n".join(output) + "\n"))
                command = line.removeprefix(_PROMPT) if line.startswith(_PROMPT) else None
                output = []
            else:
                output.append(line)
    return found


CLI_SESSIONS = sessions(DOCS / "cli.md")


def test_the_cli_page_has_sessions_for_every_command() -> None:
    commands = {shlex.split(command)[0] for command, _ in CLI_SESSIONS}
    assert commands >= {"validate", "analyze", "explain", "scope", "workloads", "diff", "graph"}


@pytest.mark.parametrize(("command", "expected"), CLI_SESSIONS, ids=[c for c, _ in CLI_SESSIONS])
def test_cli_page_session(command: str, expected: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and the page's arguments
        [sys.executable, "-m", "sidecar_model", *shlex.split(command)],
        cwd=EXAMPLES,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "PYTHONPATH": _absolute_pythonpath()},
    )
    assert result.returncode in {0, 1, 2}
    got = result.stdout + result.stderr
    checker = doctest.OutputChecker()
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    assert checker.check_output(expected, got, flags), f"$ sidecar-model {command}\n{got}"


def _absolute_pythonpath() -> str:
    """``PYTHONPATH`` with relative entries (``PYTHONPATH=src``) made absolute for another cwd."""
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return os.pathsep.join(str(Path(entry).resolve()) for entry in entries if entry)


# --------------------------------------------------------------------------- rule anchors

#: The tokens whose text users can see (strings, docstrings) or that cite rules (comments).
_TEXT_TOKENS = {tokenize.STRING, tokenize.COMMENT, getattr(tokenize, "FSTRING_MIDDLE", -1)}


def cited_in_source() -> dict[str, set[str]]:
    """Every rule id in the strings and comments of the package, with the files citing it."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type not in _TEXT_TOKENS:
                continue
            for rule in _rule_links.cited(token.string):
                found.setdefault(rule, set()).add(path.name)
    return found


def test_the_source_cites_rules() -> None:
    cited = cited_in_source()
    # One of each family, so that a change in the citation style cannot empty this check.
    assert {"§3.2", "L4", "MSP2", "R1", "T1", "SM0004", "IST0110", "V23", "X1"} <= set(cited)


def test_every_rule_the_source_cites_has_a_target_in_the_markdown() -> None:
    targets = {
        "how-istiod-decides": set(
            re.findall(r"^\((rule-[a-z0-9-]+)\)=$", _read("how-istiod-decides.md"), re.MULTILINE)
        ),
        # A rule of rules.md is a heading ("## V23", anchor v23) or an explicit "(v23)=" target.
        "rules": {
            name.lower()
            for found in re.findall(
                r"^(?:#+ ([VX]\d+)\b|\(([vx]\d+)\)=$)", _read("rules.md"), re.MULTILINE
            )
            for name in found
            if name
        },
    }
    missing = {
        rule: sorted(files)
        for rule, files in cited_in_source().items()
        if _rule_links.anchor(rule)[1] not in targets[_rule_links.anchor(rule)[0]]
    }
    assert not missing


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def built_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML docs: ``SIDECAR_MODEL_DOCS_HTML`` when set, else built once for this run."""
    given = os.environ.get("SIDECAR_MODEL_DOCS_HTML")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("html")
    subprocess.run(  # noqa: S603 - our own interpreter running Sphinx on our docs
        [sys.executable, "-m", "sphinx", "-q", "-b", "html", str(DOCS), str(out)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def html_ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def test_every_rule_id_has_an_anchor_in_the_built_html(built_html: Path) -> None:
    ids = {page: html_ids(built_html / f"{page}.html") for page in ("how-istiod-decides", "rules")}
    missing = sorted(
        rule
        for rule in cited_in_source()
        if _rule_links.anchor(rule)[1] not in ids[_rule_links.anchor(rule)[0]]
    )
    assert not missing


def test_the_index_has_at_most_15_top_level_entries(built_html: Path) -> None:
    index = (built_html / "index.html").read_text(encoding="utf-8")
    main = index[index.index('<div class="toctree-wrapper') :]
    entries = re.findall(r'<li class="toctree-l1">', main)
    assert 0 < len(entries) <= 15


def test_no_page_cites_a_file_outside_the_project(built_html: Path) -> None:
    # api.html included: it renders the modules' docstrings.
    pages = list(built_html.glob("*.html"))
    assert "api.html" in {page.name for page in pages}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "istio-sidecar-semantics" not in text, page.name


# --------------------------------------------------------------------------- the link module


def test_anchor_scheme() -> None:
    assert _rule_links.anchor("§4.2.1") == ("how-istiod-decides", "rule-4-2-1")
    assert _rule_links.anchor("4.2.1") == ("how-istiod-decides", "rule-4-2-1")
    assert _rule_links.anchor("MSP2") == ("how-istiod-decides", "rule-msp2")
    assert _rule_links.anchor("IST0110") == ("how-istiod-decides", "rule-ist0110")
    assert _rule_links.anchor("X5") == ("rules", "x5")
    with pytest.raises(ValueError, match="not a rule id"):
        _rule_links.anchor("frobnicate")


def test_cited_reads_every_citation_style() -> None:
    text = "lost (3.2); see §4.4.4, L1..L3, V1-V3 and (5.4, 5.8); SM0004; not E501 or T201"
    assert _rule_links.cited(text) == (
        "§3.2",
        "§4.4.4",
        "L1",
        "L2",
        "L3",
        "V1",
        "V2",
        "V3",
        "§5.4",
        "§5.8",
        "SM0004",
    )


def test_url_base_can_be_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIDECAR_MODEL_DOCS_URL", "file:///srv/docs/")
    assert _rule_links.url("L4") == "file:///srv/docs/how-istiod-decides.html#rule-l4"
    monkeypatch.delenv("SIDECAR_MODEL_DOCS_URL")
    assert _rule_links.url("V9") == _rule_links.DOCS_URL + "rules.html#v9"


# --------------------------------------------------------------------------- pre-commit hooks


def test_the_pre_commit_hooks_run_the_command() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"sidecar-model-validate", "sidecar-model-analyze"}
    for hook in hooks:
        program, *args = shlex.split(hook["entry"])
        assert program == "sidecar-model"
        assert hook["language"] == "python"
        # pre-commit appends the hook's args, then (unless pass_filenames is false) the files.
        files = [] if hook.get("pass_filenames") is False else ["shop/sidecars/web.yaml"]
        paths = ["shop"] if hook.get("args") == ["."] else []
        result = subprocess.run(  # noqa: S603 - our own interpreter and the hook's arguments
            [sys.executable, "-m", "sidecar_model", *args, *paths, *files],
            cwd=EXAMPLES,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env={**os.environ, "PYTHONPATH": _absolute_pythonpath()},
        )
        assert result.returncode == 0, (hook["id"], result.stdout, result.stderr)
        assert "0 errors" in result.stdout


# --------------------------------------------------------------------------- notebook reprs


def test_notebook_reprs_link_every_rule_they_cite() -> None:
    import sidecar_model as sm  # noqa: PLC0415 - this test alone needs the whole library
    from sidecar_model import examples, resolver  # noqa: PLC0415

    mesh = sm.Mesh.from_resources(sm.loads(examples.mesh_text()))
    workload = next(w for w in mesh.workloads if w.name == "productpage")
    selection = resolver.select_sidecar(mesh, workload)
    page = selection._repr_html_()
    cited = _rule_links.cited(str(selection))
    assert cited  # the selection's reasons cite §3.x rules
    for rule in cited:
        assert f'href="{_rule_links.url(rule)}"' in page
    sidecar = sm.loads(
        "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: x, namespace: n}\n"
        "spec:\n  egress:\n  - hosts: ['nodot']\n"
    )[0]
    table = sm.validate(sidecar)._repr_html_()
    assert f'<a href="{_rule_links.url("V23")}">V23</a>' in table
    assert _rule_links.html_link("not-a-rule") == "not-a-rule"
