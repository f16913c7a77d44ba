# syntax=docker/dockerfile:1
# eo-bot: `docker build -t eo-bot .` then
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN eo-bot            (Socket Mode)
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET eo-bot   (HTTP mode)
#   docker run --rm eo-bot ask 524                                          (any eo-bot command)

# The base image is pinned by digest so a rebuild gets the same Python and Debian. To move to the
# newest python:3.11-slim, print its digest and paste it here (or pass --build-arg):
#   docker buildx imagetools inspect python:3.11-slim --format '{{json .Manifest.Digest}}'
ARG PYTHON_DIGEST=sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM python:3.11-slim@${PYTHON_DIGEST} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
# What running needs, from the hash-pinned lock (its own layer: it changes only with the lock),
# then the package itself without touching the index again, as `make run` does.
COPY requirements/run.txt requirements/run.txt
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r requirements/run.txt
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN /opt/venv/bin/pip install --no-deps --no-build-isolation .
# Checked away from the sources: the installed package must carry its knowledge base.
WORKDIR /
RUN /opt/venv/bin/eo-bot kb check

FROM python:3.11-slim@${PYTHON_DIGEST} AS runtime
ARG PYTHON_DIGEST
LABEL org.opencontainers.image.title="eo-bot" \
      org.opencontainers.image.description="Slack chat-ops bot for Tencent Cloud EdgeOne: explains status codes and probes failing URLs" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11-slim" \
      org.opencontainers.image.base.digest="${PYTHON_DIGEST}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=3000
RUN groupadd --system --gid 10001 eo \
    && useradd --system --uid 10001 --gid eo --home-dir /app --shell /usr/sbin/nologin eo
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=2).status == 200 else 1)"]
# `docker run IMAGE` serves Slack; `docker run IMAGE ask 524` (or probe, console, kb check) runs
# that command instead.
ENTRYPOINT ["eo-bot"]
CMD ["serve"]
