"""A TerraformStack whose Terraform addresses read like the construct tree.

cdktf's default naming appends a hash to every nested id (``aws_vpc.network_vpc_4E8F0223``). We
use the construct path instead (``aws_vpc.network_vpc``): unique by construction, stable, and
readable in `terraform plan`. Renaming a construct id still renames the address, so ids are
treated as API (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import re

import jsii
from cdktf import TerraformElement, TerraformStack
from constructs import Node

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

#: Terraform runs in cdktf.out/stacks/<stack>; this leads from there back to the project root.
STACK_DIR_TO_PROJECT_ROOT = "../../.."


def local_state_path(stack_name: str) -> str:
    """Local state lives in the project root, so deleting cdktf.out never deletes state."""
    return f"{STACK_DIR_TO_PROJECT_ROOT}/terraform.{stack_name}.tfstate"


class ReadableStack(TerraformStack):
    @jsii.member(jsii_name="allocateLogicalId")
    def _allocate_logical_id(self, tf_element: Node | TerraformElement) -> str:
        node = tf_element if isinstance(tf_element, Node) else tf_element.node
        # Path below the stack: "network/private_0" -> "network_private_0".
        below_stack = node.scopes[len(self.node.scopes) :]
        return _UNSAFE.sub("_", "_".join(scope.node.id for scope in below_stack))
