# The hub image: one image, one process per container (ingest, alerts, console), chosen by command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub hub
COPY ingest ingest
COPY alerts alerts
COPY models models
COPY console console
COPY simulators simulators
RUN pip install . && useradd --system --uid 10001 hub
USER hub
EXPOSE 8000
CMD ["hub", "serve", "--host", "0.0.0.0"]
