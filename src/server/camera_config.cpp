#include "la3d/server/camera_config.hpp"

#include <nlohmann/json.hpp>

#include "la3d/server/camera_name.hpp"

namespace la3d {
namespace {

// One field, of one JSON type; the error says where.
template <class T>
Status read_field(const nlohmann::json& v, const std::string& where, std::optional<T>& out) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return make_error(where + " must be a string");
    if (v.get_ref<const std::string&>().size() > 256) return make_error(where + " is too long");
    out = v.get<std::string>();
  } else {
    if (!v.is_number()) return make_error(where + " must be a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 0 || d > 1000) return make_error(where + " is out of range");
    out = T(d);
  }
  return Ok{};
}

}  // namespace

Result<std::map<std::string, CameraSettings>> parse_camera_config(const std::string& text) {
  if (text.size() > 64 * 1024) return make_error("--config: the file is larger than 64 KiB");
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("--config: not a JSON object");
  for (const auto& [k, v] : j.items())
    if (k != "cameras") return make_error("--config: unknown key '" + k + "' (only \"cameras\")");
  if (!j.contains("cameras") || !j["cameras"].is_object())
    return make_error("--config: \"cameras\" must be an object of camera names");
  std::map<std::string, CameraSettings> out;
  for (const auto& [name, fields] : j["cameras"].items()) {
    if (Status s = validate_camera_name(name); !s)
      return make_error("--config: " + s.error().message);
    if (!fields.is_object()) return make_error("--config: camera '" + name + "' must be an object");
    CameraSettings c;
    for (const auto& [key, v] : fields.items()) {
      const std::string where = "--config: " + name + "." + key;
      Status s = Ok{};
      if (key == "method") {
        std::optional<std::string> m;
        s = read_field(v, where, m);
        if (s) {
          auto parsed = parse_method(*m);
          if (!parsed) return make_error(where + ": " + parsed.error().message);
          c.method = parsed.value();
        }
      } else if (key == "an_scale") {
        s = read_field(v, where, c.an_scale);
      } else if (key == "an_bound") {
        s = read_field(v, where, c.an_bound);
      } else if (key == "detector") {
        s = read_field(v, where, c.detector);
      } else if (key == "detect_every") {
        s = read_field(v, where, c.detect_every);
      } else if (key == "detect_threshold") {
        s = read_field(v, where, c.detect_threshold);
      } else if (key == "head") {
        s = read_field(v, where, c.head);
        if (s && *c.head != "off" && *c.head != "motion" && *c.head != "pel" && *c.head != "mgfn")
          return make_error(where + " must be off, motion, pel or mgfn");
      } else if (key == "alert_threshold") {
        s = read_field(v, where, c.alert_threshold);
      } else {
        return make_error(where +
                          ": unknown setting (method, an_scale, an_bound, detector, "
                          "detect_every, detect_threshold, head, alert_threshold)");
      }
      if (!s) return s.error();
    }
    out[name] = c;
  }
  return out;
}

}  // namespace la3d
