// `la3d privacy`: anonymize inputs with each method and attack the results (library: privacy.hpp).
#include <fmt/format.h>
#include <chrono>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "la3d/instances.hpp"
#include "la3d/io.hpp"
#include "la3d/models.hpp"
#include "la3d/privacy.hpp"
#include "progress.hpp"

namespace la3d::cli {
namespace {

namespace fs = std::filesystem;

// One picture to evaluate: an image, or a sampled frame of a video.
struct Picture {
  std::string key;
  cv::Mat image;
};

Result<std::vector<fs::path>> expand_inputs(const std::vector<std::string>& inputs) {
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

// The images of `path`: itself, or every `every`-th frame of a video.
Result<std::vector<Picture>> pictures_of(const fs::path& path, int every) {
  if (is_image_path(path)) {
    auto img = read_image(path);
    if (!img) return img.error();
    return std::vector<Picture>{{path.string(), img.value()}};
  }
  auto src = VideoSource::open(path.string());
  if (!src) return src.error();
  std::vector<Picture> out;
  cv::Mat frame;
  for (long long i = 0;; ++i) {
    auto more = (*src)->read(frame);
    if (!more) return more.error();
    if (!more.value()) break;
    if (i % every == 0) out.push_back({fmt::format("{}#{}", path.string(), i), frame.clone()});
  }
  return out;
}

Result<PrivacyAttackers> load_attackers(const PrivacyArgs& a) {
  const fs::path cache = default_cache_dir();
  PrivacyAttackers at;
  auto model = [&](const char* name) -> Result<std::string> {
    auto m = installed_model(cache, name);
    if (!m) return m.error();
    return m->onnx.string();
  };
  auto face = model("blazeface-back");
  if (!face) return face.error();
  DetectOptions fo;
  fo.threshold = float(a.face_threshold);
  auto face_finder = make_blazeface_detector(face.value(), fo);
  if (!face_finder) return face_finder.error();
  at.face_finder = std::move(face_finder.value());
  auto person = model("centernet");
  if (!person) return person.error();
  DetectOptions po;
  po.threshold = float(a.person_threshold);
  auto person_finder = make_centernet_detector(person.value(), po);
  if (!person_finder) return person_finder.error();
  at.person_finder = std::move(person_finder.value());
  auto faceres = model("faceres");
  if (!faceres) return faceres.error();
  auto describer = make_faceres_describer(faceres.value());
  if (!describer) return describer.error();
  at.face_describer = std::move(describer.value());
  if (!a.reid_model.empty()) {
    auto reid = make_onnx_reid_embedder(a.reid_model);
    if (!reid) return reid.error();
    at.reid = std::move(reid.value());
  }
  return at;
}

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

std::string cell(const std::optional<double>& v, const char* fmt_spec = "{:.3f}") {
  return v ? fmt::format(fmt::runtime(fmt_spec), *v) : std::string("-");
}

void print_table(const PrivacyReport& r) {
  auto chance = [&](const char* k) {
    const auto it = r.chance.find(k);
    return it == r.chance.end() ? std::string("-") : cell(it->second);
  };
  std::cout << fmt::format(
      "{} input(s), {} face(s), {} person(s) found on the originals | chance: face rank-1 {}, "
      "verification (two different faces) {}, gender {}, age MAE {} y, ReID rank-1 {}\n",
      r.inputs, r.faces, r.persons, chance("face_rank1"), chance("face_verification"),
      chance("gender_agreement"), chance("age_mae"), chance("reid_rank1_colour"));
  std::cout << fmt::format(
      "{:<26} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6}\n", "method",
      "face", "person", "face", "face", "face", "gender", "age", "ReID", "colour", "SSIM", "PSNR");
  std::cout << fmt::format(
      "{:<26} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6}\n", "", "found",
      "found", "cosine", "rank-1", "verif.", "agree", "MAE", "rank-1", "rank-1", "", "dB");
  for (const auto& [method, m] : r.methods)
    std::cout << fmt::format(
        "{:<26} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6} {:>6}\n", method,
        cell(m.at("face_redetection")), cell(m.at("person_redetection")),
        cell(m.at("face_similarity")), cell(m.at("face_rank1")), cell(m.at("face_verification")),
        cell(m.at("gender_agreement")), cell(m.at("age_mae"), "{:.1f}"), cell(m.at("reid_rank1")),
        cell(m.at("reid_rank1_colour")), cell(m.at("ssim"), "{:.2f}"),
        cell(m.at("psnr"), "{:.1f}"));
  for (const std::string& n : r.notes) std::cout << "note: " << n << "\n";
}

}  // namespace

void add_privacy_command(CLI::App& app, PrivacyArgs& a) {
  auto* cmd = app.add_subcommand(
      "privacy",
      "measure how much identity an anonymization leaves: faces and people re-detected, faces "
      "identified and described, bodies re-identified, SSIM/PSNR in the masks");
  cmd->add_option("inputs", a.inputs, "images, folders, videos (every --every-th frame)")
      ->required();
  cmd->add_option("--methods", a.methods, "all, or a comma-separated list of AN methods")
      ->capture_default_str();
  cmd->add_option("--every", a.every, "videos: evaluate every K-th frame")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--json", a.json, "write the results as JSON to this file");
  cmd->add_option("--report", a.report,
                  "write an HTML report (table, a chart per metric, crops side by side) to this "
                  "folder");
  cmd->add_option("--reid-model", a.reid_model,
                  "body re-identification ONNX model (input 1x3x256x128, e.g. OSNet imported with "
                  "la3d models import)");
  cmd->add_option("--face-threshold", a.face_threshold, "the face attacker's score threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--person-threshold", a.person_threshold, "the person attacker's score threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no progress on stderr");
  add_engine_options(*cmd, a.engine);
}

int run_privacy(const PrivacyArgs& a) {
  std::vector<std::string> methods;
  if (a.methods == "all") {
    for (const auto& m : all_methods()) methods.emplace_back(m.name);
  } else {
    for (size_t start = 0; start <= a.methods.size();) {
      const size_t end = std::min(a.methods.find(',', start), a.methods.size());
      const std::string name = a.methods.substr(start, end - start);
      auto m = parse_method(name);
      if (!m) return fail(m.error().message, kExitUsage);
      methods.push_back(name);
      start = end + 1;
    }
  }
  auto engine = build_engine(a.engine);
  if (!engine) return fail(engine.error().message);
  if (!engine->detector) return fail("la3d privacy needs a detector (the method no-an has none)");
  warn_weak(engine.value());
  auto files = expand_inputs(a.inputs);
  if (!files) return fail(files.error().message);
  auto attackers = load_attackers(a);
  if (!attackers) return fail(attackers.error().message);
  PrivacyEvaluator eval(std::move(attackers.value()));
  const PipelineOptions options = engine->options;
  FramePipeline pipeline(options, std::move(engine->detector));
  const auto t0 = std::chrono::steady_clock::now();
  size_t done = 0;
  std::vector<ReportCrop> face_crops, person_crops;
  for (const fs::path& file : files.value()) {
    auto pictures = pictures_of(file, a.every);
    if (!pictures) return fail(pictures.error().message);
    for (Picture& p : pictures.value()) {
      if (!a.quiet)
        std::cerr << fmt::format("\rla3d privacy: file {}/{} {}   ", done + 1, files->size(), p.key)
                  << std::flush;
      cv::Mat raw = p.image;
      if (options.input_size && raw.size() != *options.input_size)
        cv::resize(raw, raw, *options.input_size, 0, 0, cv::INTER_LINEAR);
      pipeline.start_sequence(0);
      cv::Mat first = raw.clone();
      auto report = pipeline.process(first, 0);
      if (!report) return fail(p.key + ": " + report.error().message);
      cv::Mat1b hidden(raw.size(), uchar(0));
      if (report->masked_whole_frame) {
        hidden.setTo(255);
      } else {
        for (const Instance& in : make_instances(report->detections, raw.size(), options.masks))
          hidden(in.box).setTo(255, in.mask);
      }
      if (Status s = eval.add_original(p.key, raw); !s)
        return fail(p.key + ": " + s.error().message);
      std::vector<std::pair<std::string, cv::Mat>> outputs;
      for (const std::string& name : methods) {
        cv::Mat out = raw.clone();
        if (name != "no-an") {
          AnParams params = options.an;
          params.method = parse_method(name).value();
          if (Status s = pipeline.anonymize_like(out, report.value(), params); !s)
            return fail(p.key + ": " + name + ": " + s.error().message);
        }
        if (Status s = eval.add_anonymized(p.key, name, raw, out, hidden); !s)
          return fail(p.key + ": " + name + ": " + s.error().message);
        if (!a.report.empty()) outputs.emplace_back(name, std::move(out));
      }
      if (!a.report.empty()) {
        for (const cv::Rect& f : eval.faces(p.key))
          if (face_crops.size() < kReportFaces)
            face_crops.push_back(report_crop("face in " + fs::path(p.key).filename().string(), raw,
                                             outputs, face_crop_box(f, raw.size())));
        for (const cv::Rect& b : eval.persons(p.key))
          if (person_crops.size() < kReportPersons)
            person_crops.push_back(
                report_crop("person in " + fs::path(p.key).filename().string(), raw, outputs, b));
      }
    }
    ++done;
  }
  if (!a.quiet)
    std::cerr << fmt::format("\rla3d privacy: {} file(s) in {:.1f} s{:<40}\n", done,
                             ms_since(t0) / 1000.0, "");
  const PrivacyReport r = eval.report();
  print_table(r);
  if (!a.json.empty())
    if (Status s = write_file_atomically(a.json, r.to_json().dump(2) + "\n"); !s)
      return fail(s.error().message);
  if (!a.report.empty()) {
    face_crops.insert(face_crops.end(), person_crops.begin(), person_crops.end());
    if (Status s = write_privacy_report(r, face_crops, a.report); !s)
      return fail(s.error().message);
    std::cerr << "la3d privacy: report in " << (fs::path(a.report) / "index.html").string() << "\n";
  }
  return 0;
}

}  // namespace la3d::cli
