#!/bin/sh
# Runs once, when the postgres container initializes an empty data directory
# (after init.sql): creates each component role with its password, read from
# /secrets/postgres/<role>.env (the PGPASSWORD= line the daemon itself is given)
# by psql's own backtick command, so no password is in any command line.
# `vigil migrate` then grants the roles what they may do
# (Schemas/block-index/0005_component_roles.sql); the roles it would create
# exist already. The superuser's password is POSTGRES_PASSWORD (vigil.env).
set -e  # executed (mode 755), not sourced: nothing here changes the entrypoint's shell
for env in /secrets/postgres/vigil_*.env; do
    role=$(basename "$env" .env)
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<EOSQL
\set password \`sed -n 's/^PGPASSWORD=//p' $env\`
CREATE ROLE $role LOGIN PASSWORD :'password';
EOSQL
done
