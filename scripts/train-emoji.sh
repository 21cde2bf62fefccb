#!/usr/bin/env bash
# Trains the built-in model (models/emoji-cascade-v1) on 2 CPU cores: the base stage on one thread while the
# refiners and the alignment model take turns on the other. Pass --resume to continue every stage that has a
# checkpoint in runs/ (the others start fresh).
# Logs: runs/<stage>.out (progress), runs/<stage>/log.csv, runs/<stage>/samples/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
RESUME="${1:-}"
dotnet build src/RefineWeb.Cli -c Release -v q -nologo >/dev/null
CLI=(dotnet src/RefineWeb.Cli/bin/Release/net10.0/refineweb.dll train --data data/emoji --model models/emoji-cascade-v1 --threads 1)
mkdir -p runs
train() { # stage, then its options
  local stage=$1; shift
  local resume=()
  if [[ "$RESUME" == "--resume" && -f runs/$stage/checkpoint.safetensors ]]; then resume=(--resume); fi
  if [[ "${1:-}" == "--resume" ]]; then resume=(--resume); shift; fi
  "${CLI[@]}" --stage "$stage" --seed 1 "${resume[@]}" "$@" >> "runs/$stage.out" 2>&1
}
# A fine-tuning run of the base in its own work folder: started from the model's current base weights, or (with
# --resume) continued from its checkpoint where it has one.
finetune() { # work folder name, then its options
  local work=$1; shift
  local start=(--init-from models/emoji-cascade-v1/base.safetensors)
  if [[ "$RESUME" == "--resume" && -f runs/$work/checkpoint.safetensors ]]; then start=(--resume); fi
  "${CLI[@]}" --stage base --work "runs/$work" "${start[@]}" --warmup 100 --batch-size 64 --sample-every 500 --balance-variants \
    "$@" >> "runs/$work.out" 2>&1
}

{
  train base --steps 3000 --batch-size 64 --learning-rate 8e-4 --sample-every 300
  # Second phase: a warm restart that draws every emoji equally often (all its styles and skin tones as one),
  # because half the images are skin-tone variants and the objects and animals were seen too rarely.
  train base --resume --steps 8000 --batch-size 64 --learning-rate 4e-4 --sample-every 500 --balance-variants
  # Lengthened three more times while the loss still fell: each time the cosine schedule resumes between 8e-5 and
  # 1e-4 and ends at 4e-5.
  train base --resume --steps 11000 --batch-size 64 --learning-rate 4e-4 --sample-every 500 --balance-variants
  train base --resume --steps 15000 --batch-size 64 --learning-rate 4e-4 --sample-every 500 --balance-variants
  train base --resume --steps 19000 --batch-size 64 --learning-rate 4e-4 --sample-every 500 --balance-variants
  # Then three fine-tuning runs, each from the weights the one before shipped (EMA; fresh AdamW moments, short
  # warm-up), 19000 -> 23000 -> 27500 -> 32000: what the shipped base went through.
  finetune base-ft1 --seed 2 --steps 4000 --learning-rate 1e-4
  finetune base-ft2 --seed 3 --steps 4500 --learning-rate 2e-4
  finetune base-ft3 --seed 4 --steps 4500 --learning-rate 2e-4
} &
BASE=$!
{
  train refiner32 --steps 1200 --batch-size 32 --learning-rate 8e-4 --sample-every 200
  train refiner64 --steps 1000 --batch-size 32 --crop 32 --learning-rate 8e-4 --sample-every 200
  train align --steps 800 --batch-size 128 --learning-rate 1e-3 --sample-every 200
  # 64 -> 128 -> 256 px on the vector art (data build renders it at 256 px), on 64 px crops.
  train refiner128 --steps 1200 --batch-size 24 --crop 64 --learning-rate 8e-4 --sample-every 200
  train refiner256 --steps 1500 --batch-size 32 --crop 64 --learning-rate 8e-4 --sample-every 250
} &
OTHERS=$!
wait $BASE $OTHERS
