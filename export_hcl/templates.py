"""Strings of Terraform's JSON syntax, rewritten as HCL native syntax expressions.

In `*.tf.json` every string is a template: `${...}` interpolates, `%{...}` is a directive, `$${`
and `%%{` are literal. The same template language is HCL's quoted string, except that a quoted
string also knows backslash escapes, so only the literal parts need escaping. A string that is one
interpolation and nothing else becomes the bare expression (`"${aws_vpc.main.id}"` ->
`aws_vpc.main.id`), which Terraform evaluates identically (the value keeps its type).
"""

from __future__ import annotations

from dataclasses import dataclass

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class TemplateError(ValueError):
    """A string that is not a well-formed Terraform template (an unclosed `${`, say)."""


@dataclass(frozen=True)
class Segment:
    text: str
    #: True for `${...}` and `%{...}` (kept verbatim), False for literal text.
    template: bool


def _skip_quoted(text: str, index: int) -> int:
    """From just after an opening quote inside an expression to just after its closing quote."""
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        elif text.startswith(("$${", "%%{"), index):
            index += 3
        elif text.startswith(("${", "%{"), index):
            index = _closing_brace(text, index + 2) + 1
        else:
            index += 1
    raise TemplateError(f"unterminated string inside an expression: {text!r}")


def _closing_brace(text: str, index: int) -> int:
    """Index of the `}` that closes the interpolation whose body starts at `index`."""
    depth = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            index = _skip_quoted(text, index + 1)
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    raise TemplateError(f"unclosed interpolation in {text!r}")


def segments(text: str) -> list[Segment]:
    """Split a JSON-syntax template into literal text and `${...}`/`%{...}` sequences."""
    parts: list[Segment] = []
    literal: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):
            literal.append(text[index : index + 3])
            index += 3
        elif text.startswith(("${", "%{"), index):
            if literal:
                parts.append(Segment("".join(literal), template=False))
                literal = []
            end = _closing_brace(text, index + 2)
            parts.append(Segment(text[index : end + 1], template=True))
            index = end + 1
        else:
            literal.append(text[index])
            index += 1
    if literal:
        parts.append(Segment("".join(literal), template=False))
    return parts


def _escape(literal: str) -> str:
    return "".join(
        _ESCAPES.get(char, f"\\u{ord(char):04x}" if ord(char) < 0x20 else char) for char in literal
    )


def sole_interpolation(text: str) -> str | None:
    """The expression inside `text` when `text` is exactly one `${...}`, else None."""
    parts = segments(text)
    if len(parts) == 1 and parts[0].template and parts[0].text.startswith("${"):
        return parts[0].text[2:-1].strip()
    return None


def quoted_template(text: str) -> str:
    """`text` as an HCL quoted template: literal parts escaped, interpolations kept verbatim."""
    return '"' + "".join(p.text if p.template else _escape(p.text) for p in segments(text)) + '"'
