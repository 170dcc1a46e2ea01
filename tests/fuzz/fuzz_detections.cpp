// One line of the detections format, then the masks it would hide: the parser must give a worded
// error or objects whose masks fit the frame, for any bytes.
#include <cstdint>
#include <string>

#include "la3d/detect/detections_file.hpp"
#include "la3d/anonymize/instances.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  auto rec = la3d::parse_detections_line(line, 1);
  if (!rec) return 0;
  la3d::MaskOptions masks;
  masks.scale = 1 + (size % 7);  // the growth options also run on what the file gives
  masks.dilate_px = int(size % 3);
  for (const la3d::Instance& i : la3d::make_instances(rec->objects, rec->size, masks))
    if ((i.box & cv::Rect({0, 0}, rec->size)) != i.box || i.mask.size() != i.box.size())
      __builtin_trap();
  return 0;
}
