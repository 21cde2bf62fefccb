#!/usr/bin/env bash
# Trains the built-in model (models/emoji-cascade-v1) on 2 CPU cores: the base stage on one thread while the
# refiners and the alignment model take turns on the other. Pass --resume to continue every stage that has a
# checkpoint in runs/ (the others start fresh).
# Logs: runs/<stage>.out (progress), runs/<stage>/log.csv, runs/<stage>/samples/*.png.
# Data: data/emoji (`refineweb data build`) for everything but the colour fine-tuning at the end, which reads
# data/emoji-recoloured (`refineweb data build --out data/emoji-recoloured --recolour 2`: the same images plus
# recoloured copies, so that colour and object come apart).
set -euo pipefail
cd "$(dirname "$0")/.."
RESUME="${1:-}"
dotnet build src/RefineWeb.Cli -c Release -v q -nologo >/dev/null
REFINEWEB=(dotnet src/RefineWeb.Cli/bin/Release/net10.0/refineweb.dll)
CLI=("${REFINEWEB[@]}" train --model models/emoji-cascade-v1 --threads 1)
mkdir -p runs
train() { # stage, then its options
  local stage=$1; shift
  local resume=()
  if [[ "$RESUME" == "--resume" && -f runs/$stage/checkpoint.safetensors ]]; then resume=(--resume); fi
  if [[ "${1:-}" == "--resume" ]]; then resume=(--resume); shift; fi
  "${CLI[@]}" --data "${DATA:-data/emoji}" --stage "$stage" --seed 1 "${resume[@]}" "$@" >> "runs/$stage.out" 2>&1
}
# A fine-tuning run of the base in its own work folder: started from the model's current base weights, or (with
# --resume) continued from its checkpoint where it has one.
finetune() { # stage, work folder name, then its options
  local stage=$1 work=$2; shift 2
  local start=(--init-from "models/emoji-cascade-v1/$stage.safetensors")
  if [[ "$RESUME" == "--resume" && -f runs/$work/checkpoint.safetensors ]]; then start=(--resume); fi
  "${CLI[@]}" --data "${DATA:-data/emoji}" --stage "$stage" --work "runs/$work" "${start[@]}" "$@" >> "runs/$work.out" 2>&1
}
# A fine-tuning run lengthened: continued from its checkpoint with more steps in all (the cosine schedule resumes).
lengthen() { # stage, work folder name, then its options
  local stage=$1 work=$2; shift 2
  "${CLI[@]}" --data "${DATA:-data/emoji}" --stage "$stage" --work "runs/$work" --resume "$@" >> "runs/$work.out" 2>&1
}
BASE_FINETUNE=(--warmup 100 --batch-size 64 --sample-every 500 --balance-variants)

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
  finetune base base-ft1 "${BASE_FINETUNE[@]}" --seed 2 --steps 4000 --learning-rate 1e-4
  finetune base base-ft2 "${BASE_FINETUNE[@]}" --seed 3 --steps 4500 --learning-rate 2e-4
  finetune base base-ft3 "${BASE_FINETUNE[@]}" --seed 4 --steps 4500 --learning-rate 2e-4
  # Colour fine-tuning on the recoloured mixture, 32000 -> 35000 (model card: Colour and object).
  DATA=data/emoji-recoloured finetune base base-colour "${BASE_FINETUNE[@]}" --seed 5 --steps 3000 --learning-rate 2e-4
} &
BASE=$!
{
  train refiner32 --steps 1200 --batch-size 32 --learning-rate 8e-4 --sample-every 200
  train refiner64 --steps 1000 --batch-size 32 --crop 32 --learning-rate 8e-4 --sample-every 200
  train align --steps 800 --batch-size 128 --learning-rate 1e-3 --sample-every 200
  # The alignment model too, so that it scores "blue apple" right: 800 -> 1400 on the recoloured mixture.
  DATA=data/emoji-recoloured finetune align align-colour --warmup 50 --batch-size 128 --seed 5 --steps 600 --learning-rate 3e-4
  # 64 -> 128 -> 256 px on the vector art (data build renders it at 256 px), on 64 px crops.
  train refiner128 --steps 1200 --batch-size 24 --crop 64 --learning-rate 8e-4 --sample-every 200
  train refiner256 --steps 1500 --batch-size 32 --crop 64 --learning-rate 8e-4 --sample-every 250
  # refiner32 and refiner64 fine-tuned on the vector art (rendered at 256 px, box-filtered down as the fidelity
  # evaluation does), which they had never seen, then lengthened three times; refiner256 fine-tuned with the edge loss
  # (model card: Refiners on the vector art).
  R32=(--vector-art 256 --warmup 100 --batch-size 32 --seed 6 --learning-rate 4e-4 --sample-every 200)
  R64=(--vector-art 256 --warmup 100 --batch-size 32 --crop 32 --seed 6 --learning-rate 4e-4 --sample-every 200)
  finetune refiner32 refiner32-vector "${R32[@]}" --steps 1200
  lengthen refiner32 refiner32-vector "${R32[@]}" --steps 2400
  lengthen refiner32 refiner32-vector "${R32[@]}" --steps 3600
  lengthen refiner32 refiner32-vector "${R32[@]}" --steps 4800
  finetune refiner64 refiner64-vector "${R64[@]}" --steps 1000
  lengthen refiner64 refiner64-vector "${R64[@]}" --steps 2000
  lengthen refiner64 refiner64-vector "${R64[@]}" --steps 3000
  lengthen refiner64 refiner64-vector "${R64[@]}" --steps 4000
  finetune refiner256 refiner256-edge --edge-loss 1 --warmup 50 --batch-size 32 --crop 64 --seed 6 --steps 600 --learning-rate 2e-4 --sample-every 200
} &
OTHERS=$!
wait $BASE $OTHERS
# Semantic guidance's reference images: every training image, the recoloured copies included.
"${REFINEWEB[@]}" model references --model models/emoji-cascade-v1 --data data/emoji-recoloured
"${REFINEWEB[@]}" model calibrate-scores --model models/emoji-cascade-v1 --data "${DATA:-data/emoji}" # the page's words for scores, and which rank gaps are real
"${REFINEWEB[@]}" model index-meanings --model models/emoji-cascade-v1 # suggestions by meaning for unknown words (needs apt-get install wordnet-base)
