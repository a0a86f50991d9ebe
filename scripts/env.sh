# Sourced by the build scripts: the environment Emscripten 3.1.6 needs on Debian.
# emcc's JS optimizer needs acorn, which Debian installs in /usr/share/nodejs (TOOLCHAIN.md #1).
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
# Emscripten writes its cache of system libraries here rather than under /usr/share.
export EM_CACHE=${EM_CACHE:-$HOME/.cache/instyle-emscripten}
if [ ! -d "$EM_CACHE" ] && [ -d /usr/share/emscripten/cache ]; then
  mkdir -p "$(dirname "$EM_CACHE")" && cp -r /usr/share/emscripten/cache "$EM_CACHE"
fi
JOBS=${JOBS:-$(nproc)}
