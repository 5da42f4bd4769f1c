# syntax=docker/dockerfile:1
# Allyway: one static binary on a small Debian base, run as a non-root user.
#
#   docker build -t allyway .
#   docker run --rm -e DATABASE_URL=postgres://… allyway migrate up
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://… -e BASE_URL=https://prm.example.com allyway
#
# docker-compose.yml runs it with PostgreSQL and Mailpit.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/allyway ./cmd/allyway

FROM debian:trixie-slim
# CA certificates for TLS to PostgreSQL and SMTP servers; tzdata for time zones.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin allyway
COPY --from=build /out/allyway /usr/local/bin/allyway
WORKDIR /app
USER 10001:10001
# Settings come from the environment only (no ./.env inside the image).
ENV ADDR=:8080 \
    ALLYWAY_NO_DOTENV=1
EXPOSE 8080
ENTRYPOINT ["allyway"]
CMD ["serve"]
