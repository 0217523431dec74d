# The cloud image: ingest workers, portal, job worker, fleet monitor and CLI (no kiosk code).
FROM python:3.11-slim-bookworm
# pango, harfbuzz-subset and a font: WeasyPrint renders the portal's PDFs (recap, letters);
# mosquitto: its mosquitto_passwd writes a kiosk's broker login (`device add`, the fleet console)
RUN apt-get update && apt-get install -y --no-install-recommends mosquitto mosquitto-clients \
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
# The face engine for enrolment (`gallery enroll`, the portal's enrolment job): dlib from the
# dlib-bin wheel, and face_recognition without its dependency on the dlib source distribution
# (a 15-minute build); face-recognition-models needs pkg_resources (setuptools < 82). The
# versions are uv.lock's (tests/deploy/test_dockerfile.py holds them equal).
RUN pip install --no-cache-dir 'dlib-bin==20.0.1.post1' 'face-recognition-models==0.3.0' \
        'setuptools==81.0.0' 'numpy==2.4.6' 'pillow==13.0.0' 'click==8.5.1' \
    && pip install --no-cache-dir --no-deps 'face-recognition==1.3.0' \
    && python -c "import face_recognition, face_recognition_models; print('face engine ok')"
USER nobody
ENTRYPOINT []
