# One image for every MotCua service: `docker run IMAGE intake` runs the intake service.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app:/app/.build/gen PYTHONWARNINGS=ignore
WORKDIR /app
COPY pyproject.toml ./
COPY scripts/requirements.py scripts/
RUN python scripts/requirements.py > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
COPY protos/ protos/
RUN python -m grpc_tools.protoc -I protos --python_out=.build/gen $(find protos -name '*.proto')
COPY services/ services/
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin motcua
USER 10001
ENTRYPOINT ["python", "-m", "services.chassis.run"]
