# syntax=docker/dockerfile:1
# eo-bot: `docker build -t eo-bot .` then
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_APP_TOKEN eo-bot            (Socket Mode)
#   docker run --rm -p 3000:3000 -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET eo-bot   (HTTP mode)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
# The loader looks for the built-in knowledge next to the installed package (bot/knowledge/data).
RUN /opt/venv/bin/pip install . \
    && /opt/venv/bin/python -c "import bot.knowledge, pathlib, shutil; \
shutil.copytree('knowledge', pathlib.Path(bot.knowledge.__file__).parent / 'data')" \
    && /opt/venv/bin/eo-bot kb check

FROM python:3.11-slim AS runtime
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
ENTRYPOINT ["eo-bot", "serve"]
