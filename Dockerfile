# One image for web, worker and beat; the command picks the role.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN useradd --create-home --uid 10001 initscope
# The production lock (no kubesim, benchmark or test extras), pinned with hashes: `make lock` writes it.
COPY requirements/production.txt ./requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/production.txt
COPY pyproject.toml README.md ./
COPY dashboard ./dashboard
COPY pods ./pods
COPY alerts ./alerts
COPY accounts ./accounts
COPY access ./access
COPY kubesim ./kubesim
COPY frontend ./frontend
COPY samples ./samples
COPY manage.py ./
RUN pip install --no-cache-dir --no-deps . \
    && DEBUG=1 python manage.py collectstatic --noinput \
    && mkdir -p /app/var /var/kubesim && chown -R initscope /app/var /var/kubesim

USER initscope
EXPOSE 8000
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "dashboard.asgi:application"]
