// One la3d privacy run, as every front-end needs it: inputs to pictures, the embedded attackers,
// and a picture anonymized with each method and handed to the evaluator.
#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include "la3d/anonymize/instances.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d {

namespace fs = std::filesystem;

Result<PrivacyAttackers> embedded_attackers(const fs::path& cache, const AttackerOptions& o) {
  PrivacyAttackers at;
  auto model = [&](const char* name) -> Result<std::string> {
    auto m = installed_model(cache, name);
    if (!m) return m.error();
    return m->onnx.string();
  };
  // Both BlazeFace models: the back one for small faces, the front one for close, large ones.
  DetectOptions fo;
  fo.threshold = o.face_threshold;
  std::vector<std::unique_ptr<Detector>> finders;
  for (const auto& [name, input] : {std::pair{"blazeface-back", 256}, {"blazeface-front", 128}}) {
    auto path = model(name);
    if (!path) return path.error();
    auto finder = make_blazeface_detector(path.value(), fo, input);
    if (!finder) return finder.error();
    finders.push_back(std::move(finder.value()));
  }
  at.face_finder = make_union_detector(std::move(finders));
  auto person = model("centernet");
  if (!person) return person.error();
  DetectOptions po;
  po.threshold = o.person_threshold;
  auto person_finder = make_centernet_detector(person.value(), po);
  if (!person_finder) return person_finder.error();
  at.person_finder = std::move(person_finder.value());
  auto faceres = model("faceres");
  if (!faceres) return faceres.error();
  auto describer = make_faceres_describer(faceres.value());
  if (!describer) return describer.error();
  at.face_describer = std::move(describer.value());
  if (!o.reid_model.empty()) {
    auto reid = make_onnx_reid_embedder(o.reid_model);
    if (!reid) return reid.error();
    at.reid = std::move(reid.value());
  }
  return at;
}

Result<std::vector<fs::path>> privacy_inputs(const std::vector<std::string>& inputs) {
  std::vector<fs::path> out;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      const FolderListing l = list_media(in);
      if (!l.error.empty()) return make_error(l.error);
      out.insert(out.end(), l.images.begin(), l.images.end());
      out.insert(out.end(), l.videos.begin(), l.videos.end());
    } else if (fs::exists(in, ec)) {
      out.emplace_back(in);
    } else {
      return make_error("no such file or folder: " + in);
    }
  }
  if (out.empty()) return make_error("no images or videos among the inputs");
  return out;
}

Result<std::vector<PrivacyPicture>> privacy_pictures(const fs::path& path, int every) {
  if (every < 1) return make_error("every must be at least 1");
  if (is_image_path(path)) {
    auto img = read_image(path);
    if (!img) return img.error();
    return std::vector<PrivacyPicture>{{path.string(), img.value(), 0, ""}};
  }
  auto src = VideoSource::open(path.string());
  if (!src) return src.error();
  std::vector<PrivacyPicture> out;
  cv::Mat frame;
  for (long long i = 0;; ++i) {
    auto more = (*src)->read(frame);
    if (!more) return more.error();
    if (!more.value()) break;
    if (i % every == 0)
      out.push_back({fmt::format("{}#{}", path.string(), i), frame.clone(), i, path.string()});
  }
  return out;
}

Result<std::vector<std::pair<std::string, cv::Mat>>> evaluate_picture(
    PrivacyEvaluator& eval, FramePipeline& pipeline, const PipelineOptions& options,
    const PrivacyPicture& p, const std::vector<Method>& methods,
    const std::vector<Detection>* truth) {
  cv::Mat raw = p.image;
  try {
    if (options.input_size && raw.size() != *options.input_size)
      cv::resize(raw, raw, *options.input_size, 0, 0, cv::INTER_LINEAR);
  } catch (const cv::Exception& e) {
    return make_error(p.key + ": " + e.what());
  }
  pipeline.start_sequence(0);
  cv::Mat first = raw.clone();
  auto report = pipeline.process(first, 0);
  if (!report) return make_error(p.key + ": " + report.error().message);
  // SSIM and PSNR are measured where the methods were to hide.
  cv::Mat1b hidden(raw.size(), uchar(0));
  if (report->masked_whole_frame) {
    hidden.setTo(255);
  } else {
    for (const Instance& in : make_instances(report->detections, raw.size(), options.masks))
      hidden(in.box).setTo(255, in.mask);
  }
  if (truth && raw.size() != p.image.size())
    return make_error(p.key + ": --ground-truth boxes are for the input's own size; drop -is");
  if (Status s = eval.add_original(p.key, raw, truth, p.video); !s)
    return make_error(p.key + ": " + s.error().message);
  std::vector<std::pair<std::string, cv::Mat>> outputs;
  for (Method m : methods) {
    const std::string name(method_name(m));
    cv::Mat out = raw.clone();
    if (m != Method::NoAn) {
      AnParams params = options.an;
      params.method = m;
      if (Status s = pipeline.anonymize_like(out, report.value(), params); !s)
        return make_error(p.key + ": " + name + ": " + s.error().message);
    }
    if (Status s = eval.add_anonymized(p.key, name, raw, out, hidden); !s)
      return make_error(p.key + ": " + name + ": " + s.error().message);
    outputs.emplace_back(name, std::move(out));
  }
  return outputs;
}

Status evaluate_pair(PrivacyEvaluator& eval, const std::string& key, const cv::Mat& original,
                     const cv::Mat& anonymized, const std::string& label,
                     const std::string& group) {
  if (original.empty() || anonymized.empty()) return make_error(key + ": an empty image");
  cv::Mat raw = original;
  try {
    if (raw.size() != anonymized.size())
      cv::resize(original, raw, anonymized.size(), 0, 0, cv::INTER_AREA);
  } catch (const cv::Exception& e) {
    return make_error(key + ": " + e.what());
  }
  if (Status s = eval.add_original(key, raw, nullptr, group); !s) return s;
  cv::Mat1b hidden(raw.size(), uchar(0));
  for (const cv::Rect& b : eval.persons(key)) hidden(b & cv::Rect({0, 0}, raw.size())).setTo(255);
  return eval.add_anonymized(key, label, raw, anonymized, hidden);
}

Result<fs::path> anonymized_counterpart(const fs::path& input, const fs::path& anonymized,
                                        bool single_input) {
  std::error_code ec;
  if (single_input && fs::is_regular_file(anonymized, ec)) return anonymized;
  if (!fs::is_directory(anonymized, ec))
    return make_error("--anonymized " + anonymized.string() +
                      " must be a folder when there are several inputs");
  for (const fs::path& candidate :
       {anonymized / input.filename(),
        anonymized / (input.stem().string() + "_anonymized" + input.extension().string())})
    if (fs::is_regular_file(candidate, ec)) return candidate;
  return make_error("no anonymized version of " + input.string() + " in " + anonymized.string() +
                    " (looked for " + input.filename().string() + " and " + input.stem().string() +
                    "_anonymized" + input.extension().string() + ")");
}

}  // namespace la3d
