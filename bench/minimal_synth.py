"""The synth baseline: a minimal cdktf app on the same provider bindings, with one resource.

`python -m bench.minimal_synth` writes to cdktf's output directory (CDKTF_OUTDIR when set). What
`python main.py` takes beyond this is the cost of the project's own stacks.
"""

from __future__ import annotations

from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct


class MinimalStack(TerraformStack):
    """One provider, one bucket."""

    def __init__(self, scope: Construct, id_: str) -> None:
        super().__init__(scope, id_)
        AwsProvider(self, "aws")
        S3Bucket(self, "bucket", bucket_prefix="bench-minimal-")


def main() -> None:
    """Synthesize the minimal app."""
    app = App()
    MinimalStack(app, "Minimal")
    app.synth()


if __name__ == "__main__":
    main()
