// measure_privacy: the privacy command's run, from inputs to the report.
#include "la3d/privacy/measure_privacy.hpp"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/io/io.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;

// How many faces and people the report shows side by side.
constexpr size_t kReportFaces = 4, kReportPersons = 3;

// The same place in the original and in each method's output, at most 240 px high.
ReportCrop report_crop(const std::string& label, const cv::Mat& original,
                       const std::vector<std::pair<std::string, cv::Mat>>& outputs, cv::Rect box) {
  ReportCrop c{label, {}};
  box &= cv::Rect({0, 0}, original.size());
  auto shrink = [&](const cv::Mat& img) {
    cv::Mat crop = img(box).clone();
    if (crop.rows > 240)
      cv::resize(crop, crop, {std::max(1, crop.cols * 240 / crop.rows), 240}, 0, 0, cv::INTER_AREA);
    return crop;
  };
  c.versions.emplace_back("original", shrink(original));
  for (const auto& [name, img] : outputs)
    if (name != "no-an") c.versions.emplace_back(name, shrink(img));
  return c;
}

}  // namespace

Result<PrivacyReport> measure_privacy(const MeasurePrivacyOptions& a, const EngineOptions& eo,
                                      const MeasurePrivacyCallbacks& cb) {
  return guarded("measure_privacy", [&]() -> Result<PrivacyReport> {
    if (a.every < 1) return make_error("every must be at least 1");
    std::vector<Method> methods = a.methods;
    if (methods.empty())
      for (const MethodInfo& m : all_methods()) methods.push_back(m.method);
    if (Status s = require_anonymization(eo, "la3d privacy"); !s) return s.error();
    auto engine = build_engine(eo);
    if (!engine) return engine.error();
    if (cb.weak_settings && !engine->weak.empty()) cb.weak_settings(engine->weak);
    auto files = privacy_inputs(a.inputs);
    if (!files) return make_error(files.error().message);
    auto attackers = embedded_attackers(a.model_dir, a.attack);
    if (!attackers) return make_error(attackers.error().message);
    PrivacyEvaluator eval(std::move(attackers.value()));
    // Ground truth: frames count over the one input as `anonymize` counts them (a folder's sorted
    // images; a video's frames).
    std::unique_ptr<Detector> truth;
    if (!a.ground_truth.empty()) {
      if (a.inputs.size() != 1)
        return make_error("--ground-truth needs exactly one input (an image, a folder or a video)");
      DetectOptions o;
      o.threshold = 0;
      o.classes = {1, kFaceClassId};
      auto file = open_detections_file(a.ground_truth, o);
      if (!file) return make_error(file.error().message);
      truth = std::move(file.value());
    }
    long long image_index = 0;
    const PipelineOptions options = engine->options;
    FramePipeline pipeline = std::move(engine.value()).pipeline();
    size_t done = 0;
    std::vector<ReportCrop> face_crops, person_crops;
    for (const fs::path& file : files.value()) {
      if (!a.anonymized.empty()) {
        // Outputs made elsewhere, paired by name (images) and frame (videos).
        auto other = anonymized_counterpart(file, a.anonymized, files->size() == 1);
        if (!other) return make_error(other.error().message);
        auto originals = privacy_pictures(file, a.every);
        if (!originals) return make_error(originals.error().message);
        auto anonymized = privacy_pictures(other.value(), a.every);
        if (!anonymized) return make_error(anonymized.error().message);
        if (originals->size() != anonymized->size())
          return make_error(fmt::format("{} gives {} picture(s) and {} gives {}", file.string(),
                                        originals->size(), other->string(), anonymized->size()));
        for (size_t k = 0; k < originals->size(); ++k)
          if (Status s =
                  evaluate_pair(eval, originals->at(k).key, originals->at(k).image,
                                anonymized->at(k).image, "anonymized", originals->at(k).video);
              !s)
            return s.error();
        ++done;
        continue;
      }
      auto pictures = privacy_pictures(file, a.every);
      if (!pictures) return make_error(pictures.error().message);
      for (const PrivacyPicture& p : pictures.value()) {
        if (cb.picture_started) cb.picture_started(done, files->size(), p.key);
        std::vector<Detection> boxes;
        if (truth) {
          const long long frame = is_image_path(file) ? image_index++ : p.frame;
          auto found = truth->detect(p.image, frame);
          if (!found) return make_error(found.error().message);
          boxes = std::move(found.value());
        }
        auto outputs =
            evaluate_picture(eval, pipeline, options, p, methods, truth ? &boxes : nullptr);
        if (!outputs) return make_error(outputs.error().message);
        if (a.report.empty()) continue;
        const std::string name = fs::path(p.key).filename().string();
        cv::Mat original = p.image;
        if (options.input_size && original.size() != *options.input_size)
          cv::resize(original, original, *options.input_size, 0, 0, cv::INTER_LINEAR);
        for (const cv::Rect& f : eval.faces(p.key))
          if (face_crops.size() < kReportFaces)
            face_crops.push_back(report_crop("face in " + name, original, outputs.value(),
                                             face_crop_box(f, original.size())));
        for (const cv::Rect& b : eval.persons(p.key))
          if (person_crops.size() < kReportPersons)
            person_crops.push_back(report_crop("person in " + name, original, outputs.value(), b));
      }
      ++done;
    }
    const PrivacyReport r = eval.report();
    if (!a.json.empty())
      if (Status s = write_file_atomically(a.json, r.to_json().dump(2) + "\n"); !s)
        return s.error();
    if (!a.report.empty()) {
      face_crops.insert(face_crops.end(), person_crops.begin(), person_crops.end());
      if (Status s = write_privacy_report(r, face_crops, a.report); !s) return s.error();
    }
    return r;
  });
}

}  // namespace la3d
