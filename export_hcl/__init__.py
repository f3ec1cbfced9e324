"""Leaving CDK for Terraform: the synthesized stacks as plain Terraform root modules in HCL.

`pipenv run export-hcl [--config FILE] OUTDIR` (see __main__.py). The translation reads the
synthesized JSON, asks terraform for the provider schemas (blocks vs attributes), builds
python-hcl2's document model and lets python-hcl2 write it; `terraform fmt` has the last word.
"""
