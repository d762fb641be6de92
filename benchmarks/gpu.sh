#!/usr/bin/env bash
# One prepared GPU session (about 9 minutes on one H200): everything that needs a GPU, written to
# one folder. Run from the repository root on a machine whose python3 has torch + torchvision:
#
#   OUT=gpu-results bash benchmarks/gpu.sh [path/to/cifar10-jpg.zip]
#
# Stages, each under its own time limit (530 s in all) so that one slow stage cannot eat the
# others; a resnet20 run cut short keeps its per-epoch metrics.jsonl and resumes with --resume:
#   1. zoo throughput vs torchvision, batch 256 at 224 px: fp32, bf16 + channels_last, + compile
#      (anchors on an H200 with torchvision, images/s: resnet50 2,205 / 4,692 / 6,845;
#      resnet18 5,407 / 13,129 / 17,866)
#   2. detection throughput and AP, ours vs torchvision, on the GPU
#   3. resnet20 on CIFAR-10, the full profile (He et al. 2016, Sec. 4.2: 164 epochs; 91.25% on the
#      original PNGs, about 3 points less expected on the JPEG q75 copy), with --compile
#   4. the full profile of one lecture-4 experiment (l4.unet: the detection experiments' full
#      profiles train 30,000 ResNet-50 steps, more than this session holds)
# Each stage's log and JSON land in $OUT; summary.txt lists the exit code and seconds of each.
set -uo pipefail
OUT=${OUT:-gpu-results}
DATA=${1:-${LECTURELAB_CIFAR10:-../shared/data/cifar10-jpg.zip}}
PY=${PYTHON:-python3}
export PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH}
mkdir -p "$OUT"

stage() {  # stage NAME SECONDS COMMAND...: run with a time limit, log, record exit code and time
  local name=$1 limit=$2
  shift 2
  local start=$SECONDS
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  printf '%-24s exit %3d  %5d s\n' "$name" "$rc" $((SECONDS - start)) | tee -a "$OUT/summary.txt"
}

{ nvidia-smi; $PY -c 'import torch, torchvision; print(torch.__version__, torchvision.__version__,
torch.cuda.get_device_name(0))'; git rev-parse HEAD; } >"$OUT/environment.txt" 2>&1

ZOO=(--device cuda --image-size 224 --batch-size 256 --models resnet18,resnet50 --steps 20
     --warmup 5 --rounds 2)
stage zoo-fp32 50 $PY benchmarks/zoo_throughput.py "${ZOO[@]}" --precision fp32 --json "$OUT/zoo-fp32.json"
stage zoo-bf16 40 $PY benchmarks/zoo_throughput.py "${ZOO[@]}" --precision bf16 --json "$OUT/zoo-bf16.json"
stage zoo-compile 100 $PY benchmarks/zoo_throughput.py "${ZOO[@]}" --precision bf16 --compile \
  --json "$OUT/zoo-compile.json"
stage detection 60 $PY benchmarks/detection.py --device cuda --steps 1000 --size 128 --batch-size 32 \
  --json "$OUT/detection.json"
stage resnet20-full 240 env LECTURELAB_CIFAR10="$DATA" $PY -m lecturelab train resnet20 --data cifar10 \
  --profile full --device cuda --compile --out "$OUT/resnet20-cifar10"
stage l4-unet-full 40 $PY -m lecturelab run l4.unet --profile full --device cuda --out "$OUT/runs"
echo "results in $OUT (summary.txt)"
