#pragma once
// The dashboard page and its front-end library, compiled into the binary (see cmake/embed.cmake),
// so that the server reads no file and works offline.
#include <span>
#include <string_view>

namespace la3d {

struct WebAsset {
  std::string_view path;  // URL path, e.g. "/app.js"
  std::string_view content_type;
  std::string_view data;
};

std::span<const WebAsset> web_assets();

}  // namespace la3d
