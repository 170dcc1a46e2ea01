#include "legacy_args.hpp"

#include <algorithm>
#include <map>

namespace la3d::cli {

Result<std::vector<std::string>> translate_legacy_args(const std::vector<std::string>& args) {
  static const std::map<std::string, std::string> kLong = {
      {"-if", "--input-type"},     {"-id", "--input"},     {"-is", "--input-size"},
      {"-anm", "--method"},        {"-odc", "--classes"},  {"-ods", "--detect-size"},
      {"-odt", "--threshold"},     {"-anr", "--an-scale"}, {"-anl", "--an-bound"},
      {"-od", "--out-dir"},        {"-adm", "--head"},     {"-ads", "--dataset"},
      {"-adt", "--vad-threshold"}, {"-fps", "--fps"},
  };
  std::vector<std::string> out;
  std::string mode;
  bool reference = false;  // a flag of the reference's spelling was used
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-a") {
      if (i + 1 >= args.size()) return make_error("-a needs a mode (an, an-ad or ad)");
      mode = args[++i];
      continue;
    }
    const auto it = kLong.find(a);
    reference |= it != kLong.end();
    out.push_back(it == kLong.end() ? a : it->second);
  }
  // Without a command word, the reference's spelling is the reference's program: mode "an" by
  // default, as its -a defaults.
  if (mode.empty() && reference && !args.empty() && args.front().starts_with("-")) mode = "an";
  if (mode.empty()) return out;
  // ... and the reference's defaults, where ours differ: the mask method, and LA3D's pixel
  // strengths at any frame size.
  if (mode != "ad" && std::find(out.begin(), out.end(), "--method") == out.end())
    out.insert(out.end(), {"--method", "mask"});
  if (std::find(out.begin(), out.end(), "--strength-reference") == out.end())
    out.insert(out.end(), {"--strength-reference", "none"});
  if (mode == "an") {
    if (!out.empty() && out.front() == "anonymize") return out;
    out.insert(out.begin(), "anonymize");
    return out;
  }
  if (mode != "an-ad" && mode != "ad")
    return make_error("unknown mode -a " + mode + " (an, an-ad or ad)");
  // VAD: the reference's defaults are PEL4VAD on XD-Violence; "-a ad" skips anonymization. In
  // `vad`, --threshold is the alert threshold and the detector's is --detect-threshold.
  std::vector<std::string> vad{"vad"};
  for (auto [flag, value] : {std::pair{"--head", "pel"}, std::pair{"--dataset", "xd"}})
    if (std::find(out.begin(), out.end(), flag) == out.end()) vad.insert(vad.end(), {flag, value});
  if (mode == "ad") vad.insert(vad.end(), {"--method", "no-an"});
  for (size_t i = 0; i < out.size(); ++i) {
    const std::string& a = out[i];
    if (a == "-s" || a == "-v") continue;  // vad always saves; it has no preview window
    if (a == "--input-type" && i + 1 < out.size()) {
      if (out[i + 1] == "webcam") vad.insert(vad.end(), {"--input", "webcam"});
      ++i;
      continue;
    }
    if (a == "--threshold") {
      vad.push_back("--detect-threshold");
      continue;
    }
    vad.push_back(a == "--vad-threshold" ? "--threshold" : a);
  }
  return vad;
}

}  // namespace la3d::cli
