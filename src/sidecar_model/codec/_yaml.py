"""Reading YAML safely, and finding where a path of a loaded document sits in its text.

PyYAML composes each document into a node tree (in C when libyaml is present); this
module turns nodes into plain data itself instead of using PyYAML's constructor. That
is faster, refuses every tag but the YAML core schema's (so no ``!!python/...``),
reports duplicate mapping keys instead of keeping the last one, and counts the nodes
it visits, so that alias expansion ("billion laughs") stops after a budget
proportional to the size of the text.

Timestamps stay strings (as JSON has them), so ``creationTimestamp`` reads the same
from YAML and JSON whether or not it is quoted.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from typing import TYPE_CHECKING, Any, Final

import attrs
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from sidecar_model._results import gc_paused

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "YAML_LOADER",
    "BuildError",
    "Locator",
    "SourceInfo",
    "SourceText",
    "format_path",
    "parse_path",
    "yaml_documents",
]

#: The fastest safe loader available: libyaml's when PyYAML was built with it.
YAML_LOADER: Final[type[Any]] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR: Final = "tag:yaml.org,2002:str"
_INT: Final = "tag:yaml.org,2002:int"
_FLOAT: Final = "tag:yaml.org,2002:float"
_BOOL: Final = "tag:yaml.org,2002:bool"
_NULL: Final = "tag:yaml.org,2002:null"
_MERGE: Final = "tag:yaml.org,2002:merge"
_MAP: Final = "tag:yaml.org,2002:map"
_SEQ: Final = "tag:yaml.org,2002:seq"
# Timestamps and the YAML 1.1 "value" key keep their text, as kubectl's decoder does.
_AS_TEXT: Final = frozenset({_STR, "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value", "!"})

_SCALARS: Final = yaml.constructor.SafeConstructor()

Segment = str | int


class BuildError(Exception):
    """A document that parses as YAML but cannot become data; carries the node's position."""

    def __init__(self, message: str, code: str, node: Node) -> None:
        """Record ``message`` about ``node``."""
        super().__init__(message)
        self.message = message
        self.code = code
        self.line = node.start_mark.line + 1
        self.column = node.start_mark.column + 1


class _Builder:
    """Turns one document's nodes into plain data within a node budget."""

    __slots__ = ("budget", "max_depth", "max_scalar")

    def __init__(self, budget: int, max_depth: int, max_scalar: int) -> None:
        self.budget = budget
        self.max_depth = max_depth
        self.max_scalar = max_scalar

    def build(self, node: Node, depth: int = 0) -> Any:  # noqa: ANN401 - YAML data is untyped
        self.budget -= 1
        if self.budget < 0:
            msg = (
                "the document expands to more nodes than its text holds; aliases "
                "(*name) that repeat large parts many times are refused"
            )
            raise BuildError(msg, "alias-expansion", node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if depth >= self.max_depth:
            msg = f"nesting is deeper than {self.max_depth} levels"
            raise BuildError(msg, "too-deep", node)
        if type(node) is MappingNode:
            if node.tag != _MAP:
                raise self._tag_error(node)
            return self._mapping(node, depth + 1)
        if node.tag != _SEQ:
            raise self._tag_error(node)
        return [self.build(item, depth + 1) for item in node.value]

    def _scalar(self, node: ScalarNode) -> Any:  # noqa: ANN401 - YAML data is untyped
        if len(node.value) > self.max_scalar:
            msg = (
                f"a value is {len(node.value)} characters long, more than the limit "
                f"of {self.max_scalar}"
            )
            raise BuildError(msg, "too-long", node)
        tag = node.tag
        if tag in _AS_TEXT:
            return node.value
        if tag == _NULL:
            return None
        try:
            if tag == _INT:
                return _SCALARS.construct_yaml_int(node)
            if tag == _BOOL:
                return _SCALARS.construct_yaml_bool(node)
            if tag == _FLOAT:
                number = _SCALARS.construct_yaml_float(node)
        except (ValueError, KeyError, IndexError):
            # Only an explicit tag (!!int x) or an integer with more digits than Python
            # converts (int_max_str_digits) gets here; implicit ones matched a pattern.
            raise self._value_error(node) from None
        if tag != _FLOAT:
            raise self._tag_error(node)
        if math.isfinite(number):
            return number
        # Kubernetes converts YAML to JSON, which has no NaN or infinity.
        msg = f"{node.value} is not a finite number, which JSON and Kubernetes cannot hold"
        raise BuildError(msg, "not-finite", node)

    @staticmethod
    def _value_error(node: ScalarNode) -> BuildError:
        kind = node.tag.rsplit(":", 1)[-1]
        if kind == "int" and node.value.lstrip("+-").isdigit():
            msg = f"the integer {node.value[:20]}... has too many digits"
            return BuildError(msg, "too-large", node)
        msg = f"{node.value!r} is not a valid {kind}; remove the !!{kind} tag or fix the value"
        return BuildError(msg, "bad-value", node)

    def _mapping(self, node: Node, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: list[dict[Any, Any]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, depth))
                continue
            key = self.build(key_node, depth)
            if type(key) is not str:
                msg = f"mapping keys must be strings, not {key!r}; quote the key"
                raise BuildError(msg, "bad-key", key_node)
            if key in result:
                msg = (
                    f"duplicate key {key!r}; Kubernetes rejects a mapping that sets a "
                    "key twice, so remove one of them"
                )
                raise BuildError(msg, "duplicate-key", key_node)
            result[key] = self.build(value_node, depth)
        # Merge keys (<<) fill in only what the mapping does not set itself, the
        # earliest merged mapping winning, as YAML's merge-key rules say.
        for source in merged:
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: Node, depth: int) -> list[dict[Any, Any]]:
        sources = node.value if type(node) is SequenceNode else [node]
        built = [self.build(source, depth) for source in sources]
        for source_node, value in zip(sources, built, strict=True):
            if type(value) is not dict:
                msg = "a merge key (<<) must refer to a mapping or a list of mappings"
                raise BuildError(msg, "bad-merge", source_node)
        return built

    @staticmethod
    def _tag_error(node: Node) -> BuildError:
        msg = (
            f"the YAML tag {node.tag} is not allowed; only plain maps, lists, strings, "
            "numbers, booleans and null can appear in a manifest"
        )
        return BuildError(msg, "unsupported-tag", node)


def yaml_documents(
    text: str, *, node_budget: int, max_depth: int, max_scalar: int
) -> Iterator[tuple[Node | None, Any, BuildError | None]]:
    """Yield ``(node, data, error)`` for each YAML document of ``text``.

    ``node`` is the document's root node (None for an empty document), kept so that
    problems found later can be located; ``error`` says why a document that parsed
    could not become data (its ``data`` is then None), and later documents still
    follow. Raises :class:`yaml.YAMLError` on syntax errors, after which nothing
    more can be read.
    """
    loader = YAML_LOADER(text)
    builder = _Builder(node_budget, max_depth, max_scalar)
    try:
        while loader.check_node():
            node = loader.get_node()
            try:
                yield node, (None if node is None else builder.build(node)), None
            except BuildError as error:
                yield node, None, error
                if error.code == "alias-expansion":
                    return  # the budget is shared by the whole text
    finally:
        loader.dispose()


_PATH_TOKEN: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[Segment]:
    """Split ``spec.egress[0].hosts[1]`` into ``["spec", "egress", 0, "hosts", 1]``."""
    return [int(index) if index else key for key, index in _PATH_TOKEN.findall(path)]


def format_path(segments: list[Segment] | tuple[Segment, ...]) -> str:
    """Join segments back into ``spec.egress[0].hosts[1]`` form."""
    text = ""
    for segment in segments:
        if isinstance(segment, int):
            text += f"[{segment}]"
        else:
            text += f".{segment}" if text else segment
    return text


class Locator:
    """Finds the nodes of one document by path, in time linear in the document's size.

    Each mapping is indexed by key the first time a path goes through it, so that many
    problems in one large mapping (thousands of unknown fields or label values) cost one
    pass over it, not one pass each. ``line_offset`` is added to node lines when the
    document was composed from a slice of its text.
    """

    __slots__ = ("_keys", "base", "char_offset", "first_column", "line_offset", "root")

    def __init__(
        self,
        root: Node | None,
        line_offset: int = 0,
        char_offset: int = 0,
        *,
        base: tuple[Segment, ...] = (),
        first_column: int = 0,
    ) -> None:
        """Locate below ``root``, composed from a slice of the text.

        The slice starts ``char_offset`` characters and ``line_offset`` lines into the
        text, ``first_column`` columns into its first line; ``root`` is the value at
        path ``base`` of the document.
        """
        self.root = root
        self.line_offset = line_offset
        self.char_offset = char_offset
        self.base = base
        self.first_column = first_column
        # Keyed by node identity: the nodes live exactly as long as this locator holds root.
        self._keys: dict[int, dict[str, tuple[Node, Node]]] = {}

    def _entries(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        entries = self._keys.get(id(node))
        if entries is None:
            entries = {}
            for key_node, value_node in node.value:
                if type(key_node) is ScalarNode:
                    entries.setdefault(key_node.value, (key_node, value_node))
            self._keys[id(node)] = entries
        return entries

    def find(
        self, segments: list[Segment] | tuple[Segment, ...], *, key: bool = False
    ) -> tuple[Node | None, bool]:
        """The node at ``segments``, or the deepest ancestor that exists.

        Returns ``(node, exact)``. For the last segment the mapping key's own node is
        returned when ``key`` is true or the value is a map or list, so that a problem
        about a field as a whole points at its name, and one about a scalar at the value.
        """
        if tuple(segments[: len(self.base)]) != self.base:
            return None, False
        segments = segments[len(self.base) :]
        node = self.root
        last = len(segments) - 1
        for position, segment in enumerate(segments):
            if node is None:
                return None, False
            child: Node | None = None
            if type(node) is MappingNode and isinstance(segment, str):
                entry = self._entries(node).get(segment)
                if entry is not None:
                    key_node, child = entry
                    if position == last and (key or type(child) is not ScalarNode):
                        return key_node, True
            elif (
                type(node) is SequenceNode
                and isinstance(segment, int)
                and 0 <= segment < len(node.value)
            ):
                child = node.value[segment]
            if child is None:
                return node, False
            node = child
        return node, True

    def position(self, node: Node) -> tuple[int, int]:
        """The 1-based (line, column) where ``node`` starts in the whole text."""
        mark = node.start_mark
        shift = self.first_column if mark.line == 0 else 0
        return mark.line + 1 + self.line_offset, mark.column + 1 + shift


@attrs.define(eq=False)
class SourceText:
    """A text that resources were loaded from, composed again only when asked to locate.

    ``spans`` holds, for each YAML document, where its root node starts and ends in the
    text (character offsets), recorded while loading: locating in one document composes
    only that document's slice, once. ``item_spans`` holds the same for each item of a
    YAML ``List`` document (start and end offsets, flattened), so that locating in a
    large dump composes only the item that holds the problem.
    """

    text: str
    name: str | None
    is_json: bool
    spans: dict[int, tuple[int, int]] = attrs.Factory(dict)
    item_spans: dict[int, array[int]] = attrs.Factory(dict)
    _locators: dict[tuple[int, int | None], Locator] = attrs.Factory(dict)
    _items: list[tuple[int, int]] | None = None

    def record(self, document: int, root: Node) -> None:
        """Remember where ``root``, the root of document ``document``, and its items lie."""
        self.spans[document] = (root.start_mark.index, root.end_mark.index)
        items = _list_items(root)
        if items is not None:
            offsets = array("q")
            for item in items:
                offsets.append(item.start_mark.index)
                offsets.append(item.end_mark.index)
            self.item_spans[document] = offsets

    def locator(self, document: int, segments: Sequence[Segment] = ()) -> Locator:
        """A locator for ``segments`` of document ``document``, composed on first use.

        Only the document's own slice of the text is composed; in a JSON ``List`` only
        the item that ``segments`` starts in (``items[i]``), so that one problem in a
        large dump costs a small part of it.
        """
        item = None
        if len(segments) > 1 and segments[0] == "items":
            item = segments[1] if isinstance(segments[1], int) else None
        found = self._locators.get((document, item))
        if found is None and item is not None:
            with gc_paused():
                found = self._compose_item(document, item)
        if found is None:
            found = self._locators.get((document, None))
        if found is None:
            with gc_paused():
                found = self._compose(document)
            self._locators[document, None] = found
        self._locators[document, item] = found
        return found

    def _compose_item(self, document: int, item: int) -> Locator | None:
        if self.is_json:
            if self._items is None:
                self._items = json_item_spans(self.text)
            if not 0 <= item < len(self._items):
                return None
            start, end = self._items[item]
            root = _first_node(self.text[start:end])
            if root is None:
                return None
            line_start = self.text.rfind("\n", 0, start) + 1
            lines = self.text.count("\n", 0, start)
            return Locator(
                root, lines, start, base=("items", item), first_column=start - line_start
            )
        offsets = self.item_spans.get(document)
        if offsets is None or not 0 <= item < len(offsets) // 2:
            return None
        return self._compose_yaml_item(item, offsets[2 * item], offsets[2 * item + 1])

    def _compose_yaml_item(self, item: int, start: int, end: int) -> Locator | None:
        """Compose one block-style ``List`` item from its own lines of the text.

        The item's first line is led by its ``-`` indicators; they become spaces, so
        the slice composes alone at the same columns. Anything else before the item on
        its line (a flow list), or a slice that does not compose alone (an alias to an
        anchor outside it), makes the caller compose the whole document instead.
        """
        line_start = self.text.rfind("\n", 0, start) + 1
        lead = self.text[line_start:start]
        if lead.strip(" -"):
            return None
        root = _first_node(" " * len(lead) + self.text[start:end])
        if root is None or root.start_mark.index != len(lead):
            return None
        lines = self.text.count("\n", 0, line_start)
        return Locator(root, lines, line_start, base=("items", item))

    def _compose(self, document: int) -> Locator:
        span = self.spans.get(document)
        if span is not None:
            start, end = span
            line_start = self.text.rfind("\n", 0, start) + 1
            root = _first_node(self.text[line_start:end])
            if root is not None:
                return Locator(root, self.text.count("\n", 0, line_start), line_start)
        try:
            roots = list(yaml.compose_all(self.text, Loader=YAML_LOADER))
        except yaml.YAMLError:
            roots = []
        return Locator(roots[document] if 0 <= document < len(roots) else None)


def _list_items(root: Node) -> list[Node] | None:
    """The item nodes of a ``kind: *List`` document's ``items``, or None for another document."""
    if type(root) is not MappingNode:
        return None
    kind: Node | None = None
    items: Node | None = None
    for key_node, value_node in root.value:
        if type(key_node) is ScalarNode and key_node.value == "kind":
            kind = value_node
        elif type(key_node) is ScalarNode and key_node.value == "items":
            items = value_node
    if (
        type(kind) is not ScalarNode
        or not kind.value.endswith("List")
        or type(items) is not SequenceNode
    ):
        return None
    return list(items.value)


def json_item_spans(text: str) -> list[tuple[int, int]]:
    """Where each item of the top-level ``items`` list of a JSON object starts and ends.

    Python's C scanner reads past each value; nothing is built but the keys. Empty when
    the text is not such an object (then the whole text is composed instead).
    """
    decoder = json.JSONDecoder()
    spans: list[tuple[int, int]] = []
    try:
        at = _skip(text, 0)
        if text[at] != "{":
            return []
        at = _skip(text, at + 1)
        while text[at] == '"':
            key, at = decoder.raw_decode(text, at)
            at = _skip(text, at)
            at = _skip(text, at + 1)  # the colon
            if key == "items" and text[at] == "[":
                at = _skip(text, at + 1)
                while text[at] != "]":
                    _value, end = decoder.raw_decode(text, at)
                    spans.append((at, end))
                    at = _skip(text, end)
                    at = _skip(text, at + 1) if text[at] == "," else at
                return spans
            _value, at = decoder.raw_decode(text, at)
            at = _skip(text, at)
            at = _skip(text, at + 1) if text[at] == "," else at
    except (ValueError, IndexError):
        return []
    return []


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\n\r":
        at += 1
    return at


def _first_node(text: str) -> Node | None:
    """The first document of ``text`` as a node tree, or None if it does not compose."""
    loader = YAML_LOADER(text)
    try:
        return loader.get_node() if loader.check_node() else None
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


@attrs.frozen
class SourceInfo:
    """Where a loaded resource came from: a text, a document in it, an item of a List."""

    text: SourceText
    document: int
    prefix: tuple[Segment, ...] = ()

    @property
    def name(self) -> str | None:
        """The file name, or None for text given directly."""
        return self.text.name

    def block_origin(self, path: str) -> tuple[int, int] | None:
        """Where the text of the block scalar (``|`` or ``>``) at ``path`` starts.

        The 1-based (line, column) of its first character, so that positions inside an
        embedded YAML text (the ``istio`` ConfigMap's ``data.mesh``) map to the file;
        None when ``path`` is not a block scalar of this resource's text.
        """
        segments = [*self.prefix, *parse_path(path)]
        locator = self.text.locator(self.document, segments)
        node, exact = locator.find(segments)
        if not exact or type(node) is not ScalarNode or node.style not in {"|", ">"}:
            return None
        text = self.text.text
        start = text.find("\n", locator.char_offset + node.start_mark.index) + 1
        if start == 0:
            return None
        content = text[start : locator.char_offset + node.end_mark.index]
        first = next((line for line in content.split("\n") if line.strip()), "")
        blank_lines = content[: content.find(first)].count("\n") if first else 0
        indent = len(first) - len(first.lstrip(" "))
        line, _column = locator.position(node)
        return line + 1 + blank_lines, indent + 1

    def locate(self, path: str) -> tuple[int, int] | None:
        """The 1-based (line, column) of ``path`` in this resource, if it is in the text."""
        segments = [*self.prefix, *parse_path(path)]
        locator = self.text.locator(self.document, segments)
        node, exact = locator.find(segments)
        if node is None or not exact:
            return None
        return locator.position(node)
