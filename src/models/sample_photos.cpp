// Group photos with faces for `la3d privacy` and its tests, from an npm package (no download by
// hand): the package's six demo photos, each checked against the SHA-256 it had when la3d was
// written, so that a changed or damaged file is refused rather than silently measured.
#include <array>

#include "la3d/models/models.hpp"
#include "npm_fetch.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;

struct Photo {
  const char* name;
  const char* sha256;
};
constexpr std::array<Photo, 6> kPhotos = {{
    {"sample1.jpg", "8ecae4b267b2d3169e06e00c7dee97097aa2a94635d45216f7732a5f4943cb51"},
    {"sample2.jpg", "7d2b60ae6f13bf30f422e04df87451081a02c83de469056f25afb44b7000c691"},
    {"sample3.jpg", "8eb081c9efb14370fa94d9feab9e5fbeafd19a627491853a80c2bf67f7ffa936"},
    {"sample4.jpg", "729efa5923061d40eb4ed5f267a18cc7b8ba6f852bb2757b16d8b7e4937476fc"},
    {"sample5.jpg", "6d45095ebb182d8f975c0790e0e4eefd86fbb40609cf4b271776d92e12662938"},
    {"sample6.jpg", "9baad80f9d5e306fb9b8c0913d44445f1e95848df317530efb03d0934c57ba87"},
}};

fs::path photos_dir(const fs::path& cache) { return cache / "data" / "face-api"; }

}  // namespace

Result<std::vector<fs::path>> sample_photos(const fs::path& cache) {
  std::vector<fs::path> out;
  for (const Photo& p : kPhotos) {
    const fs::path path = photos_dir(cache) / p.name;
    auto sum = sha256_of(path);
    if (!sum || sum.value() != p.sha256)
      return make_error("sample photo " + path.string() +
                        " is missing or damaged (run: la3d models install)");
    out.push_back(path);
  }
  return out;
}

Result<std::vector<fs::path>> install_sample_photos(const fs::path& cache, bool& changed) {
  changed = false;
  if (auto ok = sample_photos(cache)) return ok;
  changed = true;
  auto tgz = npm_pack(kFaceApiPackage, "vladmandic-face-api-1.7.15.tgz", cache);
  if (!tgz) return tgz.error();
  const fs::path dir = photos_dir(cache);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("cannot create " + dir.string());
  std::string members;
  for (const Photo& p : kPhotos) members += " " + shell_quote(std::string("package/demo/") + p.name);
  if (Status s = run_command("tar -xzf " + shell_quote(tgz->string()) + " -C " +
                             shell_quote(dir.string()) + " --strip-components=2" + members);
      !s)
    return make_error("cannot unpack " + tgz->string() + ": " + s.error().message);
  return sample_photos(cache);
}

}  // namespace la3d
