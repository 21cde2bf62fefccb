#!/usr/bin/env bash
# Adds a gallery migration for both providers: scripts/add-migration.sh NAME
# (EF's design package is referenced only when EfDesign=true, so normal builds stay lean.)
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: scripts/add-migration.sh NAME}
dotnet tool restore >/dev/null
export EfDesign=true
dotnet ef migrations add "$name" --project src/RefineWeb.Data --context SqliteGalleryDbContext --output-dir Migrations/Sqlite
dotnet ef migrations add "$name" --project src/RefineWeb.Data --context PostgresGalleryDbContext --output-dir Migrations/Postgres
