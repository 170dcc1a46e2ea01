#pragma once
// The one rule for a camera's name, which appears as a topic level (MQTT) and a path (RTSP).
#include <string>

#include "la3d/core/result.hpp"

namespace la3d {

// A name: 1-64 letters, digits, '-', '_' and '.' (a regular expression, for routes and
// NAME=URI; web/app.js repeats it for the page's own path).
inline constexpr const char* kCameraNamePattern = "[A-Za-z0-9._-]{1,64}";
Status validate_camera_name(const std::string& name);

}  // namespace la3d
