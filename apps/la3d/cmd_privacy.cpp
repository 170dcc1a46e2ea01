// `la3d privacy`: anonymize inputs with each method and attack the results (library: privacy.hpp).
#include <fmt/format.h>
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "la3d/privacy/measure_privacy.hpp"

namespace la3d::cli {
namespace {

namespace fs = std::filesystem;

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
  auto engine = engine_options(a.engine);
  if (!engine) return fail(engine.error().message);
  MeasurePrivacyOptions o;
  o.inputs = a.inputs;
  o.methods = methods.value();
  o.every = a.every;
  o.attack = a.attack;
  o.anonymized = a.anonymized;
  o.ground_truth = a.ground_truth;
  o.json = a.json;
  o.report = a.report;
  MeasurePrivacyCallbacks cb;
  cb.weak_settings = [](const std::vector<std::string>& weak) { warn_weak(weak); };
  cb.picture_started = [&](size_t file, size_t files, const std::string& key) {
    if (!a.quiet)
      std::cerr << fmt::format("\rla3d privacy: file {}/{} {}   ", file + 1, files, key)
                << std::flush;
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto r = measure_privacy(o, engine.value(), cb);
  if (!r) return fail(r.error().message);
  if (!a.quiet)
    std::cerr << fmt::format("\rla3d privacy: {} input(s) in {:.1f} s{:<40}\n", r->inputs,
                             ms_since(t0) / 1000.0, "");
  print_table(r.value());
  if (!a.report.empty())
    std::cerr << "la3d privacy: report in " << (fs::path(a.report) / "index.html").string() << "\n";
  return 0;
}

}  // namespace la3d::cli
