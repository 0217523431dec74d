# The cloud image: ingest workers, portal and CLI (no kiosk code, no dlib).
FROM python:3.11-slim-bookworm
# pango, harfbuzz-subset and a font: WeasyPrint renders the portal's PDFs (recap, letters)
RUN apt-get update && apt-get install -y --no-install-recommends mosquitto-clients \
    libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir 'uv==0.13.9'
WORKDIR /app
COPY uv.lock pyproject.toml ./
COPY protocol protocol
COPY cloud cloud
RUN uv export --frozen --no-dev --package hadir-cloud --no-emit-workspace -o /tmp/req.txt \
    && pip install --no-cache-dir -r /tmp/req.txt \
    && pip install --no-cache-dir --no-deps ./protocol ./cloud
USER nobody
ENTRYPOINT []
