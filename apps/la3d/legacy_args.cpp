#include "legacy_args.hpp"

#include <algorithm>
#include <map>

namespace la3d::cli {

Result<std::vector<std::string>> translate_legacy_args(const std::vector<std::string>& args) {
  static const std::map<std::string, std::string> kLong = {
      {"-if", "--input-type"}, {"-id", "--input"},     {"-is", "--input-size"},
      {"-anm", "--method"},    {"-odc", "--classes"},  {"-ods", "--detect-size"},
      {"-odt", "--threshold"}, {"-anr", "--an-scale"}, {"-anl", "--an-bound"},
      {"-od", "--out-dir"},
  };
  std::vector<std::string> out;
  std::string mode;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-a") {
      if (i + 1 >= args.size()) return make_error("-a needs a mode (an, an-ad or ad)");
      mode = args[++i];
      continue;
    }
    const auto it = kLong.find(a);
    out.push_back(it == kLong.end() ? a : it->second);
  }
  if (mode.empty()) return out;
  if (mode != "an")
    return make_error("mode -a " + mode +
                      " needs video anomaly detection, which this build does not have yet");
  if (!out.empty() && out.front() == "anonymize") return out;
  out.insert(out.begin(), "anonymize");
  return out;
}

}  // namespace la3d::cli
