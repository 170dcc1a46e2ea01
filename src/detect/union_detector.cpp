// Several detectors as one (people from one model, faces from another): each runs on every frame
// and everything they find is reported, best score first.
#include <algorithm>

#include "la3d/detect/detector.hpp"

namespace la3d {
namespace {

// Runs several detectors on each frame and reports all they find.
class UnionDetector final : public Detector {
 public:
  explicit UnionDetector(std::vector<std::unique_ptr<Detector>> parts) : parts_(std::move(parts)) {}
  std::string name() const override {
    std::string n;
    for (const auto& p : parts_) {
      if (!n.empty()) n += '+';
      n += p->name();
    }
    return n;
  }
  void reset(double fps) override {
    for (auto& p : parts_) p->reset(fps);
  }
  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long index) override {
    std::vector<Detection> all;
    for (auto& p : parts_) {
      auto found = p->detect(frame, index);
      if (!found) return found;
      for (auto& d : found.value()) all.push_back(std::move(d));
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const Detection& a, const Detection& b) { return a.score > b.score; });
    return all;
  }

 private:
  std::vector<std::unique_ptr<Detector>> parts_;
};

}  // namespace

std::unique_ptr<Detector> make_union_detector(std::vector<std::unique_ptr<Detector>> parts) {
  return std::make_unique<UnionDetector>(std::move(parts));
}

}  // namespace la3d
