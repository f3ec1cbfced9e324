#!/usr/bin/env bash
# Builds the MCP server image for linux/arm64 and pushes it to ECR. Run by the stack's
# terraform_data resource during `cdktf deploy`, from the repository root, only when the image's
# content hash (its tag) changes. Needs: aws CLI, docker with buildx (and QEMU/binfmt on amd64).
set -euo pipefail

: "${REPOSITORY_URL:?REPOSITORY_URL is required}" "${IMAGE_TAG:?IMAGE_TAG is required}"
platform="${IMAGE_PLATFORM:-linux/arm64}"
registry="${REPOSITORY_URL%%/*}"
repository="${REPOSITORY_URL#*/}"
# <account>.dkr.ecr.<region>.amazonaws.com
region="$(cut -d. -f4 <<<"$registry")"

# Tags are immutable: if this exact content was pushed before (a re-created state, say), reuse it.
if aws ecr describe-images --region "$region" --repository-name "$repository" \
    --image-ids "imageTag=$IMAGE_TAG" >/dev/null 2>&1; then
  echo "push_image: $REPOSITORY_URL:$IMAGE_TAG is already in ECR; nothing to build"
  exit 0
fi

echo "push_image: building $REPOSITORY_URL:$IMAGE_TAG for $platform"
aws ecr get-login-password --region "$region" \
  | docker login --username AWS --password-stdin "$registry"
docker buildx build --platform "$platform" --file server/Dockerfile \
  --tag "$REPOSITORY_URL:$IMAGE_TAG" --push .
echo "push_image: pushed $REPOSITORY_URL:$IMAGE_TAG"
