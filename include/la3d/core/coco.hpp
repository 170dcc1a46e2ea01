#pragma once
// COCO class names and ids (and la3d's own face and motion classes), as --classes spells them.
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

// Faces are no COCO class; la3d gives them an id outside COCO's range.
inline constexpr int kFaceClassId = 1000;
// Moving pixels that no detection explains (see make_motion_guard): hidden like a person.
inline constexpr int kMotionClassId = 1001;
// A class la3d can detect by name: a COCO class, "face" or "motion".
std::optional<CocoClass> class_by_name(std::string_view name);

}  // namespace la3d
