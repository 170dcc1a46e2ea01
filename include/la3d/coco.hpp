#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace la3d {

struct CocoClass {
  int id;  // official COCO category id (1..90, with gaps)
  std::string_view name;
};

// The 80 COCO detection classes, in the usual contiguous order (YOLO index = position).
std::span<const CocoClass> coco_classes();
std::optional<CocoClass> coco_by_name(std::string_view name);
std::optional<CocoClass> coco_by_id(int id);

}  // namespace la3d
