// hide_boxes IN OUT METHOD X1,Y1,X2,Y2...: hides the given boxes (inclusive corners, as in a
// detections file) with one of la3d's methods, using only the `anonymize` and `io` modules
// (la3d::anonymize, la3d::io): no detector, no models, no VAD are linked. Its output is the same
// file as `la3d anonymize IN -o OUT --method METHOD --detections` with those boxes as people.
#include <cstdio>
#include <iostream>
#include <vector>

#include "la3d/anonymize/anonymizer.hpp"
#include "la3d/anonymize/instances.hpp"
#include "la3d/io/io.hpp"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: hide_boxes IN OUT METHOD X1,Y1,X2,Y2...\n";
    return 2;
  }
  auto fail = [](const std::string& message) {
    std::cerr << "hide_boxes: error: " << message << "\n";
    return 1;
  };
  auto method = la3d::parse_method(argv[3]);
  if (!method) return fail(method.error().message);
  la3d::AnParams params;  // the CLI's defaults
  params.method = method.value();

  auto image = la3d::read_image(argv[1]);
  if (!image) return fail(image.error().message);
  std::vector<la3d::Detection> people;
  for (int i = 4; i < argc; ++i) {
    int x1, y1, x2, y2;
    char end;
    if (std::sscanf(argv[i], "%d,%d,%d,%d%c", &x1, &y1, &x2, &y2, &end) != 4 || x2 < x1 || y2 < y1)
      return fail(std::string("not a box X1,Y1,X2,Y2: ") + argv[i]);
    la3d::Detection d;
    d.label = "person";
    d.coco_id = 1;
    d.score = 1.f;
    d.box = cv::Rect(x1, y1, x2 - x1 + 1, y2 - y1 + 1) & cv::Rect({}, image->size());
    people.push_back(d);
  }
  const auto instances = la3d::make_instances(people, image->size(), la3d::MaskOptions{});
  if (la3d::Status s = la3d::Anonymizer(params).apply(image.value(), instances); !s)
    return fail(s.error().message);  // nothing is written
  if (la3d::Status s = la3d::write_image(argv[2], image.value()); !s)
    return fail(s.error().message);
  std::cout << argv[2] << ": " << instances.size() << " hidden\n";
  return 0;
}
