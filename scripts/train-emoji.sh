#!/usr/bin/env bash
# Trains the built-in model (models/emoji-cascade-v1) on 2 CPU cores: the base stage on one thread while the
# refiners and the alignment model take turns on the other. Pass --resume to continue every stage from runs/.
# Logs: runs/<stage>.out (progress), runs/<stage>/log.csv, runs/<stage>/samples/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
RESUME="${1:-}"
dotnet build src/RefineWeb.Cli -c Release -v q -nologo >/dev/null
CLI=(dotnet src/RefineWeb.Cli/bin/Release/net10.0/refineweb.dll train --data data/emoji --model models/emoji-cascade-v1 --threads 1 --seed 1 $RESUME)
mkdir -p runs

"${CLI[@]}" --stage base --steps 2400 --batch-size 64 --learning-rate 8e-4 --sample-every 400 > runs/base.out 2>&1 &
BASE=$!
{
  "${CLI[@]}" --stage refiner32 --steps 1200 --batch-size 32 --learning-rate 8e-4 --sample-every 400 > runs/refiner32.out 2>&1
  "${CLI[@]}" --stage refiner64 --steps 1200 --batch-size 32 --crop 32 --learning-rate 8e-4 --sample-every 400 > runs/refiner64.out 2>&1
  "${CLI[@]}" --stage align --steps 1000 --batch-size 128 --learning-rate 1e-3 --sample-every 500 > runs/align.out 2>&1
} &
OTHERS=$!
wait $BASE $OTHERS
