#pragma once
// The one rule for a camera's name, which appears as a topic level (MQTT) and a path (RTSP).
#include <string>

#include "la3d/core/result.hpp"

namespace la3d {

// 1-64 letters, digits, '-', '_' and '.'.
Status validate_camera_name(const std::string& name);

}  // namespace la3d
