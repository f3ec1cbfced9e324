"""Strings of Terraform's JSON syntax become the HCL expressions Terraform evaluates the same way."""

from __future__ import annotations

import pytest

from export_hcl.templates import TemplateError, quoted_template, sole_interpolation


def test_a_lone_interpolation_becomes_its_expression() -> None:
    assert sole_interpolation("${aws_vpc.network_vpc.id}") == "aws_vpc.network_vpc.id"


def test_text_around_an_interpolation_stays_a_template() -> None:
    text = "arn:${data.aws_partition.partition.partition}:ecs:*"
    assert sole_interpolation(text) is None
    assert quoted_template(text) == '"arn:${data.aws_partition.partition.partition}:ecs:*"'


def test_two_interpolations_are_not_one() -> None:
    assert sole_interpolation("${a.b}/${c.d}") is None


def test_literal_quotes_backslashes_and_newlines_are_escaped_but_expressions_are_not() -> None:
    text = 'say "hi"\\n\n${join(",", var.list)}\t'
    assert quoted_template(text) == '"say \\"hi\\"\\\\n\\n${join(",", var.list)}\\t"'


def test_escaped_interpolation_stays_literal() -> None:
    assert sole_interpolation("$${not.a.reference}") is None
    assert quoted_template("$${HOME}") == '"$${HOME}"'


def test_quoted_string_with_nested_interpolation_inside_an_expression() -> None:
    user_data = '${base64encode("ECS_CLUSTER=${aws_ecs_cluster.c.name}\\n}")}'
    assert sole_interpolation(user_data) == 'base64encode("ECS_CLUSTER=${aws_ecs_cluster.c.name}\\n}")'


def test_unclosed_interpolation_is_a_clear_error() -> None:
    with pytest.raises(TemplateError, match="unclosed interpolation"):
        quoted_template("${aws_vpc.main.id")
