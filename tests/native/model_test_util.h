// model_test_util.h: files for the model-runner suites: reading binaries, and the ONNX test
// models that scripts/make_test_models.py builds with Debian's PyTorch (generated on first
// use into <test executable's folder>/test-models, or $INSTYLE_TEST_MODELS).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace instyle::test {

inline std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)),
                              std::istreambuf_iterator<char>());
}

inline std::vector<float> read_floats(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  std::vector<float> v(bytes.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

inline bool file_exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

inline double mtime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return double(st.st_mtim.tv_sec) + 1e-9 * double(st.st_mtim.tv_nsec);
}

// This file is tests/native/model_test_util.h; the repository is three levels up.
inline std::string repo_root() {
  std::string f = __FILE__;
  for (int i = 0; i < 3; ++i) f = f.substr(0, f.find_last_of('/'));
  return f;
}

inline std::string executable_dir() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  std::string p(buf, static_cast<std::size_t>(n));
  return p.substr(0, p.find_last_of('/'));
}

// The generated models' folder, (re)built when missing or older than the script. A lock
// file keeps suites that ctest runs in parallel from generating at the same time.
inline std::string test_models_dir() {
  const char* env = std::getenv("INSTYLE_TEST_MODELS");
  const std::string dir = env && *env ? env : executable_dir() + "/test-models";
  const std::string script = repo_root() + "/scripts/make_test_models.py";
  const std::string manifest = dir + "/manifest.txt";
  if (file_exists(manifest) && mtime(manifest) >= mtime(script)) return dir;
  ::mkdir(dir.c_str(), 0755);
  const int lock = ::open((dir + "/.lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (lock >= 0) ::flock(lock, LOCK_EX);
  if (!file_exists(manifest) || mtime(manifest) < mtime(script)) {
    const std::string cmd =
        "/usr/bin/python3 " + script + " " + dir + " > " + dir + "/make.log 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      ADD_FAILURE() << "could not generate test models: " << cmd;
    }
  }
  if (lock >= 0) ::close(lock);
  return dir;
}

// One line of manifest.txt: a model, its opset, an input and PyTorch's output for it.
struct ModelCase {
  std::string model, input, output;
  int opset = 0;
  int64_t h = 0, w = 0, oh = 0, ow = 0;
};

inline std::vector<ModelCase> model_cases() {
  const std::string dir = test_models_dir();
  std::ifstream f(dir + "/manifest.txt");
  std::vector<ModelCase> cases;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    ModelCase c;
    if (in >> c.model >> c.opset >> c.input >> c.h >> c.w >> c.output >> c.oh >> c.ow) {
      c.model = dir + "/" + c.model;
      c.input = dir + "/" + c.input;
      c.output = dir + "/" + c.output;
      cases.push_back(c);
    }
  }
  return cases;
}

}  // namespace instyle::test
