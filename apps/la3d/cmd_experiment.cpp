// `la3d experiment`: the paper's privacy-vs-VAD trade-off in one command. For each AN method:
// la3d privacy on a photo set, and AN -> VAD on every video of a labelled set, scored by
// frame-level ROC-AUC and AP. Every video x method result is cached in OUT, so a re-run (after an
// interruption, or with more methods) does only what is missing.
#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "commands.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/privacy/privacy.hpp"
#include "la3d/privacy/tradeoff_plot.hpp"
#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad_labels.hpp"
#include "la3d/vad/vad_report.hpp"
#include "scorer_args.hpp"

namespace la3d::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

// What one video gave under one method (cached as OUT/scores/METHOD/VIDEO.json beside the .npy).
struct VideoRun {
  long long frames = 0;
  double an_ms = 0, vad_ms = 0;  // per frame, means
};

fs::path scores_path(const fs::path& out, const std::string& method, const fs::path& video) {
  return out / "scores" / method / (video.stem().string() + ".npy");
}

Result<VideoRun> read_cached(const fs::path& npy) {
  fs::path meta = npy;
  meta.replace_extension(".json");
  std::error_code ec;
  if (!fs::exists(npy, ec) || !fs::exists(meta, ec)) return make_error("not cached");
  try {
    const auto j = nlohmann::json::parse(std::ifstream(meta));
    return VideoRun{j.at("frames").get<long long>(), j.at("an_ms_per_frame").get<double>(),
                    j.at("vad_ms_per_frame").get<double>()};
  } catch (const std::exception& e) {
    return make_error(meta.string() + " is damaged: " + e.what());
  }
}

// AN -> VAD on one video; writes the snippet scores and the timing beside them.
Status run_video(const ExperimentArgs& a, Method method, const fs::path& video,
                 const fs::path& npy) {
  EngineArgs ea = a.engine;
  ea.method = std::string(method_name(method));
  auto engine = build_engine(ea);
  if (!engine) return engine.error();
  ScorerOptions so = a.scorer;
  so.threads = a.engine.threads;
  auto scorer = make_scorer(so);
  if (!scorer) return scorer.error();
  auto src = VideoSource::open(video.string());
  if (!src) return src.error();
  FramePipeline pipeline(engine->options, std::move(engine->detector));
  double an_ms = 0, vad_ms = 0;
  auto consume = [&](const cv::Mat& frame, const FrameReport& r, long long) -> Status {
    an_ms += r.detect_ms + r.anonymize_ms;
    const auto t0 = std::chrono::steady_clock::now();
    Status s = scorer.value()->add_frame(frame);
    vad_ms += ms_since(t0);
    return s;
  };
  auto frames = run_stream(*src.value(), pipeline, consume);
  if (!frames) return frames.error();
  if (scorer.value()->snippets() == 0)
    return make_error(fmt::format("{} has {} frame(s): fewer than one 16-frame snippet",
                                  video.string(), frames.value()));
  const auto t0 = std::chrono::steady_clock::now();
  auto scores = scorer.value()->score_all();
  if (!scores) return scores.error();
  vad_ms += ms_since(t0);
  std::error_code ec;
  fs::create_directories(npy.parent_path(), ec);
  if (ec) return make_error("cannot create " + npy.parent_path().string());
  NpyArray arr;
  arr.shape = {int64_t(scores->size())};
  arr.data = scores.value();
  if (Status s = write_npy(npy, arr); !s) return s;
  fs::path meta = npy;
  meta.replace_extension(".json");
  const double n = double(std::max<long long>(1, frames.value()));
  return write_file_atomically(meta, json{{"frames", frames.value()},
                                          {"an_ms_per_frame", an_ms / n},
                                          {"vad_ms_per_frame", vad_ms / n}}
                                             .dump() +
                                         "\n");
}

// Privacy of every method on the photo set, cached in OUT/privacy.json.
Result<PrivacyReport> privacy_of(const ExperimentArgs& a, const std::vector<Method>& methods,
                                 const fs::path& out) {
  auto engine = build_engine(a.engine);
  if (!engine) return engine.error();
  if (!engine->detector)
    return make_error("the engine has no detector (choose a --method other than no-an)");
  auto files = privacy_inputs({a.privacy_set});
  if (!files) return files.error();
  auto attackers = embedded_attackers(default_cache_dir(), {});
  if (!attackers) return attackers.error();
  PrivacyEvaluator eval(std::move(attackers.value()));
  const PipelineOptions options = engine->options;
  FramePipeline pipeline(options, std::move(engine->detector));
  for (const fs::path& file : files.value()) {
    auto pictures = privacy_pictures(file, a.every);
    if (!pictures) return pictures.error();
    for (const PrivacyPicture& p : pictures.value())
      if (auto r = evaluate_picture(eval, pipeline, options, p, methods); !r) return r.error();
  }
  PrivacyReport r = eval.report();
  if (Status s = write_file_atomically(out / "privacy.json", r.to_json().dump(2) + "\n"); !s)
    return s.error();
  return r;
}

std::string csv_value(const std::optional<double>& v) {
  return v ? fmt::format("{:.6g}", *v) : std::string();
}

}  // namespace

void add_experiment_command(CLI::App& app, ExperimentArgs& a) {
  auto* cmd = app.add_subcommand(
      "experiment",
      "the privacy-vs-VAD trade-off: la3d privacy on a photo set and AN -> VAD AUC on a labelled "
      "video set, per method; results.csv/json and tradeoff.png/svg");
  cmd->add_option("--privacy-set", a.privacy_set, "images or videos to measure privacy on")
      ->required();
  cmd->add_option("--vad-set", a.vad_set, "folder of test videos")->required();
  cmd->add_option("--labels", a.labels,
                  "UCF-Crime Temporal_Anomaly_Annotation file, XD-Violence annotations.txt, or a "
                  "folder of NAME.npy frame labels")
      ->required();
  auto* out = cmd->add_option("--out-dir", a.out, "output folder (results, cache)");
  // -o names a file everywhere else; -o/--out once named this folder and still do, out of --help.
  auto* old = cmd->add_option("-o,--out", a.out)->group("");
  out->excludes(old);
  cmd->callback([out, old] {
    if (out->count() + old->count() == 0) throw CLI::RequiredError("--out-dir");
  });
  cmd->add_option("--methods", a.methods, "all, or a comma-separated list")->capture_default_str();
  cmd->add_option("--privacy-metric", a.privacy_metric, "the figure's x axis")
      ->check(CLI::IsMember(privacy_metric_names()))
      ->capture_default_str();
  cmd->add_option("--every", a.every, "privacy set videos: every K-th frame")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_scorer_options(*cmd, a.scorer);
  cmd->add_option("--jobs", a.jobs, "videos processed at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", a.quiet, "no progress on stderr");
  add_engine_options(*cmd, a.engine);
}

int run_experiment(const ExperimentArgs& a) {
  auto methods = parse_method_list(a.methods);
  if (!methods) return fail(methods.error().message, kExitUsage);
  auto labels = read_anomaly_labels(a.labels);
  if (!labels) return fail(labels.error().message);
  std::error_code ec;
  if (!fs::is_directory(a.vad_set, ec)) return fail("--vad-set is not a folder: " + a.vad_set);
  const FolderListing listing = list_media(a.vad_set);
  if (!listing.error.empty()) return fail(listing.error);
  const std::vector<fs::path>& videos = listing.videos;
  if (videos.empty()) return fail("no videos in " + a.vad_set);
  const fs::path out(a.out);
  fs::create_directories(out, ec);
  if (ec) return fail("cannot create " + out.string() + ": " + ec.message());

  if (!a.quiet) std::cerr << "la3d experiment: privacy of each method on " << a.privacy_set << "\n";
  auto privacy = privacy_of(a, methods.value(), out);
  if (!privacy) return fail(privacy.error().message);

  // AN -> VAD for every video x method not in the cache, `jobs` at a time.
  struct Task {
    Method method;
    fs::path video, npy;
  };
  std::vector<Task> todo;
  size_t cached = 0;
  for (Method m : methods.value())
    for (const fs::path& v : videos) {
      const fs::path npy = scores_path(out, std::string(method_name(m)), v);
      if (read_cached(npy)) {
        ++cached;
        continue;
      }
      todo.push_back({m, v, npy});
    }
  if (!a.quiet)
    std::cerr << fmt::format("la3d experiment: {} video x method run(s), {} from the cache\n",
                             todo.size() + cached, cached);
  std::atomic<size_t> next{0}, done{0};
  std::mutex error_mutex;
  std::string first_error;
  auto worker = [&] {
    for (size_t k; (k = next++) < todo.size();) {
      {
        std::lock_guard lock(error_mutex);
        if (!first_error.empty()) return;
      }
      const Task& t = todo[k];
      if (Status s = run_video(a, t.method, t.video, t.npy); !s) {
        std::lock_guard lock(error_mutex);
        if (first_error.empty())
          first_error = fmt::format("{} ({}): {}", t.video.string(), method_name(t.method),
                                    s.error().message);
        return;
      }
      const size_t d = ++done;
      if (!a.quiet) {
        std::lock_guard lock(error_mutex);
        std::cerr << fmt::format("\rla3d experiment: {}/{} runs done", d, todo.size())
                  << std::flush;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int j = 0; j < std::min<int>(a.jobs, int(std::max<size_t>(1, todo.size()))); ++j)
    pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (!a.quiet && !todo.empty()) std::cerr << "\n";
  if (!first_error.empty()) return fail(first_error);

  // Scores and labels of all videos, concatenated in the listing's order: the frames the
  // snippets cover (16 per snippet; trailing frames have no score, as in the literature).
  json results = json::array();
  std::vector<TradeoffPoint> points;
  std::string csv = "method,parameters";
  for (const std::string& m : privacy_metric_names()) csv += "," + m;
  csv += ",roc_auc,ap,an_ms_per_frame,vad_ms_per_frame,peak_memory_mib\n";
  std::vector<float> all_labels;
  size_t unlisted = 0;
  // The AN parameters every method ran with (privacy_of built the same engine, so this holds).
  const AnParams params = build_engine(a.engine).value().options.an;
  const std::string param_text = fmt::format(
      "k0={} sigma0={} block={} a_m={} a_d={} reference={}", params.blur_kernel, params.blur_sigma,
      params.pixel_block, params.an_scale, params.an_bound, size_name(params.strength_reference));
  for (size_t mi = 0; mi < methods->size(); ++mi) {
    const std::string name(method_name(methods.value()[mi]));
    std::vector<float> scores, labels_here;
    double an_ms = 0, vad_ms = 0;
    long long frames = 0;
    for (const fs::path& v : videos) {
      const fs::path npy = scores_path(out, name, v);
      auto run = read_cached(npy);
      if (!run) return fail(npy.string() + ": " + run.error().message);
      auto snippet = read_npy(npy);
      if (!snippet) return fail(snippet.error().message);
      const std::vector<float> per_frame = frame_scores(snippet->data);
      bool listed = false;
      auto l = frame_labels(labels.value(), v.stem().string(), run->frames, &listed);
      if (!l) return fail(l.error().message);
      if (mi == 0 && !listed) ++unlisted;
      if (per_frame.size() > l->size())
        return fail(npy.string() + " has more scores than the video has frames");
      l->resize(per_frame.size());
      scores.insert(scores.end(), per_frame.begin(), per_frame.end());
      labels_here.insert(labels_here.end(), l->begin(), l->end());
      an_ms += run->an_ms * double(run->frames);
      vad_ms += run->vad_ms * double(run->frames);
      frames += run->frames;
    }
    if (mi == 0) all_labels = labels_here;
    auto auc = roc_auc(scores, labels_here);
    if (!auc) return fail(name + ": " + auc.error().message);
    auto ap = pr_auc(scores, labels_here);
    if (!ap) return fail(name + ": " + ap.error().message);
    fs::create_directories(out / name, ec);
    NpyArray arr;
    arr.shape = {int64_t(scores.size())};
    arr.data = scores;
    if (Status s = write_npy(out / name / "scores.npy", arr); !s) return fail(s.error().message);
    std::map<std::string, std::optional<double>> metrics;
    for (const auto& [method, m] : privacy->methods)
      if (method == name) metrics = m;
    const double n = double(std::max<long long>(1, frames));
    json row{{"method", name}, {"parameters", param_text}};
    csv += name + ",\"" + param_text + "\"";
    for (const std::string& m : privacy_metric_names()) {
      const auto v = metrics.count(m) ? metrics[m] : std::nullopt;
      row[m] = v ? json(*v) : json(nullptr);
      csv += "," + csv_value(v);
    }
    row["roc_auc"] = auc.value();
    row["ap"] = ap.value();
    row["an_ms_per_frame"] = an_ms / n;
    row["vad_ms_per_frame"] = vad_ms / n;
    row["peak_memory_mib"] = peak_rss_mib();
    csv += fmt::format(",{:.17g},{:.17g},{:.4g},{:.4g},{:.1f}\n", auc.value(), ap.value(),
                       an_ms / n, vad_ms / n, peak_rss_mib());
    results.push_back(row);
    if (const auto x = metrics.count(a.privacy_metric) ? metrics[a.privacy_metric] : std::nullopt)
      points.push_back({name, *x, auc.value()});
    const auto leak = metrics[a.privacy_metric];
    std::cout << fmt::format("{:<26} {} {:>6}  ROC-AUC {:.4f}  AP {:.4f}\n", name, a.privacy_metric,
                             leak ? fmt::format("{:.3f}", *leak) : std::string("-"), auc.value(),
                             ap.value());
  }
  NpyArray lab;
  lab.shape = {int64_t(all_labels.size())};
  lab.data = all_labels;
  if (Status s = write_npy(out / "labels.npy", lab); !s) return fail(s.error().message);
  const json summary{{"privacy_set", a.privacy_set},
                     {"vad_set", a.vad_set},
                     {"labels", a.labels},
                     {"head", a.scorer.head},
                     {"videos", videos.size()},
                     {"videos_not_in_labels", unlisted},
                     {"frames", all_labels.size()},
                     {"privacy_metric", a.privacy_metric},
                     {"privacy", privacy->to_json()},
                     {"results", results}};
  if (Status s = write_file_atomically(out / "results.json", summary.dump(2) + "\n"); !s)
    return fail(s.error().message);
  if (Status s = write_file_atomically(out / "results.csv", csv); !s)
    return fail(s.error().message);
  const std::string title = fmt::format("Privacy vs anomaly detection ({} head, {} videos)",
                                        a.scorer.head, videos.size());
  if (Status s = write_file_atomically(out / "tradeoff.svg",
                                       tradeoff_svg(points, a.privacy_metric, title));
      !s)
    return fail(s.error().message);
  std::vector<uchar> png;
  try {
    cv::imencode(".png", tradeoff_png(points, a.privacy_metric, title), png);
  } catch (const cv::Exception& e) {
    return fail(std::string("cannot draw the figure: ") + e.what());
  }
  if (Status s = write_file_atomically(out / "tradeoff.png", std::string(png.begin(), png.end()));
      !s)
    return fail(s.error().message);
  if (unlisted && !a.quiet)
    std::cerr << fmt::format("la3d experiment: {} video(s) not in the labels counted as normal\n",
                             unlisted);
  if (!a.quiet)
    std::cerr << "la3d experiment: results in " << (out / "results.csv").string() << ", figure "
              << (out / "tradeoff.png").string() << "\n";
  return 0;
}

}  // namespace la3d::cli
