// `la3d privacy`: anonymize inputs with each method and attack the results (library: privacy.hpp).
#include <fmt/format.h>
#include <chrono>
#include <iostream>
#include <opencv2/imgproc.hpp>

#include "commands.hpp"
#include "la3d/core/coco.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d::cli {
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
  cmd->add_option("--anonymized", a.anonymized,
                  "evaluate anonymized outputs made elsewhere (a file, or a folder with the "
                  "inputs' names or NAME_anonymized.EXT) instead of anonymizing here");
  cmd->add_option("--ground-truth", a.ground_truth,
                  "people and faces to measure against, a detections JSONL file (classes person "
                  "and face), instead of what the attackers find on the originals");
  cmd->add_option("--reid-model", a.attack.reid_model,
                  "body re-identification ONNX model (input 1x3x256x128, e.g. OSNet imported with "
                  "la3d models import)");
  cmd->add_option("--face-threshold", a.attack.face_threshold,
                  "the face attacker's score threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--person-threshold", a.attack.person_threshold,
                  "the person attacker's score threshold")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no progress on stderr");
  add_engine_options(*cmd, a.engine);
}

int run_privacy(const PrivacyArgs& a) {
  auto methods = parse_method_list(a.methods);
  if (!methods) return fail(methods.error().message, kExitUsage);
  auto engine_opts = engine_options(a.engine);
  if (!engine_opts) return fail(engine_opts.error().message);
  if (Status s = require_anonymization(engine_opts.value(), "la3d privacy"); !s)
    return fail(s.error().message);
  auto engine = la3d::build_engine(engine_opts.value());
  if (!engine) return fail(engine.error().message);
  warn_weak(engine.value());
  auto files = privacy_inputs(a.inputs);
  if (!files) return fail(files.error().message);
  auto attackers = embedded_attackers(default_cache_dir(), a.attack);
  if (!attackers) return fail(attackers.error().message);
  PrivacyEvaluator eval(std::move(attackers.value()));
  // Ground truth: frames count over the one input as `anonymize` counts them (a folder's sorted
  // images; a video's frames).
  std::unique_ptr<Detector> truth;
  if (!a.ground_truth.empty()) {
    if (a.inputs.size() != 1)
      return fail("--ground-truth needs exactly one input (an image, a folder or a video)");
    DetectOptions o;
    o.threshold = 0;
    o.classes = {1, kFaceClassId};
    auto file = open_detections_file(a.ground_truth, o);
    if (!file) return fail(file.error().message);
    truth = std::move(file.value());
  }
  long long image_index = 0;
  const PipelineOptions options = engine->options;
  FramePipeline pipeline(options, std::move(engine->detector));
  const auto t0 = std::chrono::steady_clock::now();
  size_t done = 0;
  std::vector<ReportCrop> face_crops, person_crops;
  for (const fs::path& file : files.value()) {
    if (!a.anonymized.empty()) {
      // Outputs made elsewhere, paired by name (images) and frame (videos).
      auto other = anonymized_counterpart(file, a.anonymized, files->size() == 1);
      if (!other) return fail(other.error().message);
      auto originals = privacy_pictures(file, a.every);
      if (!originals) return fail(originals.error().message);
      auto anonymized = privacy_pictures(other.value(), a.every);
      if (!anonymized) return fail(anonymized.error().message);
      if (originals->size() != anonymized->size())
        return fail(fmt::format("{} gives {} picture(s) and {} gives {}", file.string(),
                                originals->size(), other->string(), anonymized->size()));
      for (size_t k = 0; k < originals->size(); ++k)
        if (Status s = evaluate_pair(eval, originals->at(k).key, originals->at(k).image,
                                     anonymized->at(k).image, "anonymized", originals->at(k).video);
            !s)
          return fail(s.error().message);
      ++done;
      continue;
    }
    auto pictures = privacy_pictures(file, a.every);
    if (!pictures) return fail(pictures.error().message);
    for (const PrivacyPicture& p : pictures.value()) {
      if (!a.quiet)
        std::cerr << fmt::format("\rla3d privacy: file {}/{} {}   ", done + 1, files->size(), p.key)
                  << std::flush;
      std::vector<Detection> boxes;
      if (truth) {
        const long long frame = is_image_path(file) ? image_index++ : p.frame;
        auto found = truth->detect(p.image, frame);
        if (!found) return fail(found.error().message);
        boxes = std::move(found.value());
      }
      auto outputs =
          evaluate_picture(eval, pipeline, options, p, methods.value(), truth ? &boxes : nullptr);
      if (!outputs) return fail(outputs.error().message);
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
