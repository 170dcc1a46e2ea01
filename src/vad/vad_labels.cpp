// Reading the VAD datasets' annotation files. Hand-written: two whitespace-separated formats of a
// few fields, which no Debian library reads.
#include "la3d/vad/vad_labels.hpp"

#include <charconv>
#include <sstream>

#include "la3d/io/io.hpp"
#include "la3d/vad/npy.hpp"

namespace la3d {
namespace {

bool to_int(const std::string& s, long long& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// UCF-Crime writes "Name.mp4", XD-Violence "Name" (with dots of its own: "Bad.Boys.1995__#...").
std::string stem(const std::string& name) {
  return is_video_path(name) ? std::filesystem::path(name).stem().string() : name;
}

}  // namespace

Result<AnomalyLabels> parse_anomaly_annotations(const std::string& text) {
  AnomalyLabels out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (f.empty()) continue;
    const auto bad = [&](const std::string& why) {
      return make_error("annotation line " + std::to_string(n) + ": " + why);
    };
    long long v = 0;
    // UCF-Crime names the class in the second field; XD-Violence goes straight to the frames.
    const size_t first = f.size() > 1 && !to_int(f[1], v) ? 2 : 1;
    if ((f.size() - first) % 2 != 0) return bad("frame numbers do not come in start/end pairs");
    auto& segs = out.segments[stem(f[0])];
    for (size_t k = first; k + 1 < f.size(); k += 2) {
      long long s = 0, e = 0;
      if (!to_int(f[k], s) || !to_int(f[k + 1], e))
        return bad("'" + f[k] + " " + f[k + 1] + "' are not frame numbers");
      if (s == -1 && e == -1) continue;  // UCF-Crime: no such segment
      if (s < 0 || e < s) return bad("segment " + f[k] + "-" + f[k + 1] + " is not a frame range");
      segs.emplace_back(s, e);
    }
  }
  if (out.segments.empty()) return make_error("the annotations list no video");
  return out;
}

Result<AnomalyLabels> read_anomaly_labels(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    AnomalyLabels out;
    out.npy_dir = path;
    return out;
  }
  auto text = read_file(path);
  if (!text) return text.error();
  auto parsed = parse_anomaly_annotations(text.value());
  if (!parsed) return make_error(path.string() + ": " + parsed.error().message);
  return parsed;
}

Result<std::vector<float>> frame_labels(const AnomalyLabels& labels, const std::string& video,
                                        long long frames, bool* listed) {
  if (frames < 0) return make_error("negative frame count");
  std::vector<float> out(size_t(frames), 0.f);
  if (!labels.npy_dir.empty()) {
    const auto path = labels.npy_dir / (video + ".npy");
    auto npy = read_npy(path);
    if (!npy) return make_error("no frame labels for " + video + ": " + npy.error().message);
    if (listed) *listed = true;
    if (npy->data.size() < size_t(frames))
      return make_error(path.string() + " has " + std::to_string(npy->data.size()) +
                        " labels for " + std::to_string(frames) + " frames");
    for (size_t k = 0; k < out.size(); ++k) {
      if (npy->data[k] != 0.f && npy->data[k] != 1.f)
        return make_error(path.string() + " holds a label that is not 0 or 1");
      out[k] = npy->data[k];
    }
    return out;
  }
  const auto it = labels.segments.find(video);
  if (listed) *listed = it != labels.segments.end();
  if (it == labels.segments.end()) return out;
  for (const auto& [s, e] : it->second)
    for (long long k = s; k <= e && k < frames; ++k) out[size_t(k)] = 1.f;
  return out;
}

}  // namespace la3d
