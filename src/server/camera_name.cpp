#include "la3d/server/camera_name.hpp"

#include <regex>

namespace la3d {

Status validate_camera_name(const std::string& name) {
  static const std::regex ok(std::string("^") + kCameraNamePattern + "$");
  if (!std::regex_match(name, ok))
    return make_error("a camera name is 1-64 letters, digits, '.', '-' or '_', got '" + name + "'");
  return Ok{};
}

}  // namespace la3d
