"""Entry point: load InfraConfig, build the cdktf app and its stacks, synthesize Terraform JSON.

`python main.py` (or `cdktf synth`) writes cdktf.out/stacks/<stack>/cdk.tf.json for each stack.
"""

from __future__ import annotations

import os
import sys

from stacks.config import InfraConfigError, load_infra_config


def main() -> int:
    # Validate first: the provider bindings take ~10 s to load, a typo should not.
    try:
        config = load_infra_config()
    except InfraConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    # jsii warns on every run that Node.js 20 is past end of life; the README says so once, and
    # the banner would bury real synth errors. Set the variable yourself to see it again.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from stacks.app import build_app

    build_app(config).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
