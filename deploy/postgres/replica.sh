#!/bin/sh
# The replica service's entrypoint (docker-compose.yml): the first time, copies the primary with
# pg_basebackup -R (which writes primary_conninfo and standby.signal), then runs the image's own entrypoint,
# which finds the data directory initialised and starts PostgreSQL as a hot standby streaming from `db`.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  until PGPASSWORD="$POSTGRES_PASSWORD" gosu postgres pg_basebackup -h db -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream; do
    echo "replica: the primary is not ready for a base backup yet; trying again in 5 s" >&2
    rm -rf "${PGDATA:?}"/*
    sleep 5
  done
fi
exec docker-entrypoint.sh postgres
