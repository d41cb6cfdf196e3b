# One image for every MotCua service: `docker run IMAGE intake` runs the intake service
# (`python -m services.chassis.run intake`). Migrations: `--entrypoint python IMAGE -m services.chassis.migrate
# intake`; broker topology: `... -m services.chassis.topology`. Runs as 10001 on a read-only root filesystem:
# the code is owned by root, and the chart mounts /tmp and the file store as the only writable paths.
FROM python:3.11-slim

# MOTCUA_ENV=production: an image started without settings never enables development sign-in.
ENV MOTCUA_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app:/app/.build/gen \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /app

# Dependencies first (their layer survives code changes): the pinned list from pyproject.toml's
# [project].dependencies. The code itself runs from /app through PYTHONPATH, as in `make run`, so the image
# and a developer's checkout import exactly the same files.
COPY pyproject.toml ./
COPY scripts/requirements.py scripts/
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN python scripts/requirements.py > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# Event contracts: generated once at build time (protoc does not create its output directory), then checked:
# the build fails on personal data in a public event (scripts/check_contracts.py).
COPY protos/ protos/
COPY scripts/check_contracts.py scripts/
RUN mkdir -p .build/gen \
    && python -m grpc_tools.protoc -I protos --python_out=.build/gen $(find protos -name '*.proto') \
    && python scripts/check_contracts.py .build/gen

COPY services/ services/
# Bytecode compiled now: the root filesystem is read-only at run time, so nothing could be cached later.
RUN python -m compileall -q services .build/gen \
    && groupadd --gid 10001 motcua \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin motcua

USER 10001:10001
# gateway HTTP; metrics, /healthz and /readyz per service (gateway 9100, intake..registry 9101-9105).
EXPOSE 8000 9100 9101 9102 9103 9104 9105
LABEL org.opencontainers.image.title="motcua" \
      org.opencontainers.image.description="MotCua one-stop shop services (one image, service name as argument)" \
      org.opencontainers.image.licenses="Apache-2.0"
ENTRYPOINT ["python", "-m", "services.chassis.run"]
