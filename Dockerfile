# One image for every MotCua service: `docker run IMAGE intake` runs the intake service
# (`python -m services.chassis.run intake`). Migrations: `--entrypoint python IMAGE -m services.chassis.migrate
# intake`; broker topology: `... -m services.chassis.topology`. Runs as 10001 on a read-only root filesystem:
# the code is owned by root, and the chart mounts /tmp and the file store as the only writable paths.
# The base image by digest: the same bytes on every build. python:3.11.16-slim-trixie's image index as published
# by the Docker official images' own records (docker-library/repo-info, repos/python/remote/
# 3.11.16-slim-trixie.md, build of 25 August 2026); it could not be pulled from this machine to check. To move on:
# `docker buildx imagetools inspect python:3.11-slim-trixie`, then replace tag and digest together.
FROM python:3.11.16-slim-trixie@sha256:be1575ed968de893bd54f4c56315ff7c4736ce522c1bca08fd521731aafc0d76

# MOTCUA_ENV=production: an image started without settings never enables development sign-in.
ENV MOTCUA_ENV=production \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app:/app/.build/gen \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /app

# Dependencies first (their layer survives code changes): requirements/runtime.txt, every transitive pin of
# pyproject.toml's [project].dependencies with its hashes (`make lock`). Wheels only, each checked against its
# hash, nothing resolved here (--no-deps: the lock is complete, `pip check` proves it). The code itself runs from
# /app through PYTHONPATH, as in `make run`, so the image and a developer's checkout import exactly the same files.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/runtime.txt requirements/
RUN pip install --require-hashes --only-binary :all: --no-deps -r requirements/runtime.txt \
    && pip check

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
