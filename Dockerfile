# syntax=docker/dockerfile:1
# Compliance Assistant image: one image for `compliance api`, `compliance worker`,
# `compliance migrate` and the reference Smart Search server (docs/operations.md).
#
#   docker build -t compliance-assistant .
#   docker run --rm -p 8000:8000 --env-file prod.env compliance-assistant api
#
# Stage 1 builds the wheel and installs it with the production extras into a virtualenv;
# stage 2 copies only that virtualenv (no compilers, no dev tools, no sources) onto a slim base.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install "$(ls /wheels/compliance_assistant-*.whl)[postgres,azure,llm]"

FROM ${PYTHON_IMAGE} AS runtime
# A fixed numeric id so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 compliance \
    && useradd --system --uid 10001 --gid compliance --no-create-home \
       --home-dir /var/lib/compliance --shell /usr/sbin/nologin compliance \
    && install -d -o compliance -g compliance -m 0750 /var/lib/compliance
COPY --from=build /opt/venv /opt/venv
# migrations/ and guidelines/ live at the repository root, not in the package.
# storage/db/migrate.py looks for the migrations four folders above its own file, which in
# this virtualenv is /opt/venv/lib/python3.11 (there is no setting for it).
COPY migrations /opt/venv/lib/python3.11/migrations
# The shipped guideline sets, found through the catalog setting below.
COPY guidelines /opt/compliance/guidelines
# The GTC sample library the reference Smart Search server serves; it writes its index next
# to the documents, hence owned by the app user.
COPY --chown=compliance:compliance samples/gtc /opt/compliance/samples/gtc

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    COMPLIANCE_ENVIRONMENT=production \
    COMPLIANCE_DATA_DIR=/var/lib/compliance \
    COMPLIANCE_CATALOG__GUIDELINES_PATH=/opt/compliance/guidelines \
    COMPLIANCE_API__HOST=0.0.0.0 \
    COMPLIANCE_API__PORT=8000 \
    COMPLIANCE_WORKER__METRICS_PORT=9464 \
    HEALTHCHECK_URL=http://127.0.0.1:8000/health/live

USER 10001:10001
WORKDIR /var/lib/compliance
EXPOSE 8000 9464
# API containers answer /health/live; a worker's compose service points HEALTHCHECK_URL at its
# /metrics port instead.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]
ENTRYPOINT ["compliance"]
CMD ["api"]
