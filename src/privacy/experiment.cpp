// The trade-off experiment. Every video x method result is cached in the output folder, so a
// re-run (after an interruption, or with more methods) does only what is missing.
#include "la3d/privacy/experiment.hpp"

#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <thread>

#include "la3d/core/stats.hpp"
#include "la3d/io/io.hpp"
#include "la3d/privacy/privacy.hpp"
#include "la3d/privacy/tradeoff_plot.hpp"
#include "la3d/vad/npy.hpp"
#include "la3d/vad/vad_labels.hpp"
#include "la3d/vad/vad_report.hpp"

namespace la3d {
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
Status run_video(const EngineOptions& eo, const ScorerOptions& so, Method method,
                 const fs::path& video, const fs::path& npy) {
  EngineOptions e = eo;
  e.pipeline.an.method = method;
  auto engine = build_engine(e);
  if (!engine) return engine.error();
  auto scorer = make_scorer(so);
  if (!scorer) return scorer.error();
  auto src = VideoSource::open(video.string());
  if (!src) return src.error();
  FramePipeline pipeline = std::move(engine.value()).pipeline();
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
Result<PrivacyReport> privacy_of(const ExperimentOptions& a, const EngineOptions& eo,
                                 const fs::path& out) {
  const std::vector<Method>& methods = a.methods;
  auto engine = build_engine(eo);
  if (!engine) return engine.error();
  if (!engine->detector)
    return make_error("the engine has no detector (choose a --method other than no-an)");
  auto files = privacy_inputs({a.privacy_set.string()});
  if (!files) return files.error();
  auto attackers = embedded_attackers(a.model_dir, {});
  if (!attackers) return attackers.error();
  PrivacyEvaluator eval(std::move(attackers.value()));
  const PipelineOptions options = engine->options;
  FramePipeline pipeline = std::move(engine.value()).pipeline();
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

std::vector<Method> ExperimentOptions::all_method_values() {
  std::vector<Method> all;
  for (const MethodInfo& m : all_methods()) all.push_back(m.method);
  return all;
}

Result<ExperimentResult> run_experiment(const ExperimentOptions& a, const EngineOptions& eo,
                                        const ScorerOptions& so, const ExperimentCallbacks& cb) {
  return guarded("run_experiment", [&]() -> Result<ExperimentResult> {
    auto stage = [&](const std::string& line) {
      if (cb.stage) cb.stage(line);
    };
    if (a.methods.empty()) return make_error("no methods to compare");
    if (a.jobs < 1 || a.jobs > 64) return make_error("jobs must be from 1 to 64");
    if (a.every < 1) return make_error("every must be at least 1");
    {
      const auto& names = privacy_metric_names();
      if (std::find(names.begin(), names.end(), a.privacy_metric) == names.end())
        return make_error("unknown privacy metric '" + a.privacy_metric + "'");
    }
    auto labels = read_anomaly_labels(a.labels);
    if (!labels) return make_error(labels.error().message);
    std::error_code ec;
    if (!fs::is_directory(a.vad_set, ec))
      return make_error("--vad-set is not a folder: " + a.vad_set.string());
    const FolderListing listing = list_media(a.vad_set);
    if (!listing.error.empty()) return make_error(listing.error);
    const std::vector<fs::path>& videos = listing.videos;
    if (videos.empty()) return make_error("no videos in " + a.vad_set.string());
    const fs::path out(a.out_dir);
    fs::create_directories(out, ec);
    if (ec) return make_error("cannot create " + out.string() + ": " + ec.message());

    stage("privacy of each method on " + a.privacy_set.string());
    auto privacy = privacy_of(a, eo, out);
    if (!privacy) return make_error(privacy.error().message);

    // AN -> VAD for every video x method not in the cache, `jobs` at a time.
    struct Task {
      Method method;
      fs::path video, npy;
    };
    std::vector<Task> todo;
    size_t cached = 0;
    for (Method m : a.methods)
      for (const fs::path& v : videos) {
        const fs::path npy = scores_path(out, std::string(method_name(m)), v);
        if (read_cached(npy)) {
          ++cached;
          continue;
        }
        todo.push_back({m, v, npy});
      }
    stage(fmt::format("{} video x method run(s), {} from the cache", todo.size() + cached, cached));
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
        if (Status s = run_video(eo, so, t.method, t.video, t.npy); !s) {
          std::lock_guard lock(error_mutex);
          if (first_error.empty())
            first_error = fmt::format("{} ({}): {}", t.video.string(), method_name(t.method),
                                      s.error().message);
          return;
        }
        const size_t d = ++done;
        if (cb.run_done) {
          std::lock_guard lock(error_mutex);
          cb.run_done(d, todo.size());
        }
      }
    };
    std::vector<std::thread> pool;
    for (int j = 0; j < std::min<int>(a.jobs, int(std::max<size_t>(1, todo.size()))); ++j)
      pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    if (!first_error.empty()) return make_error(first_error);

    // Scores and labels of all videos, concatenated in the listing's order: the frames the
    // snippets cover (16 per snippet; trailing frames have no score, as in the literature).
    json results = json::array();
    std::vector<TradeoffPoint> points;
    std::string csv = "method,parameters";
    for (const std::string& m : privacy_metric_names()) csv += "," + m;
    csv += ",roc_auc,ap,an_ms_per_frame,vad_ms_per_frame,peak_memory_mib\n";
    std::vector<float> all_labels;
    size_t unlisted = 0;
    // The AN parameters every method ran with.
    const AnParams& params = eo.pipeline.an;
    ExperimentResult result;
    result.videos = videos.size();
    const std::string param_text =
        fmt::format("k0={} sigma0={} block={} a_m={} a_d={} reference={}", params.blur_kernel,
                    params.blur_sigma, params.pixel_block, params.an_scale, params.an_bound,
                    size_name(params.strength_reference));
    for (size_t mi = 0; mi < a.methods.size(); ++mi) {
      const std::string name(method_name(a.methods[mi]));
      std::vector<float> scores, labels_here;
      double an_ms = 0, vad_ms = 0;
      long long frames = 0;
      for (const fs::path& v : videos) {
        const fs::path npy = scores_path(out, name, v);
        auto run = read_cached(npy);
        if (!run) return make_error(npy.string() + ": " + run.error().message);
        auto snippet = read_npy(npy);
        if (!snippet) return make_error(snippet.error().message);
        const std::vector<float> per_frame = frame_scores(snippet->data);
        bool listed = false;
        auto l = frame_labels(labels.value(), v.stem().string(), run->frames, &listed);
        if (!l) return make_error(l.error().message);
        if (mi == 0 && !listed) ++unlisted;
        if (per_frame.size() > l->size())
          return make_error(npy.string() + " has more scores than the video has frames");
        l->resize(per_frame.size());
        scores.insert(scores.end(), per_frame.begin(), per_frame.end());
        labels_here.insert(labels_here.end(), l->begin(), l->end());
        an_ms += run->an_ms * double(run->frames);
        vad_ms += run->vad_ms * double(run->frames);
        frames += run->frames;
      }
      if (mi == 0) all_labels = labels_here;
      auto auc = roc_auc(scores, labels_here);
      if (!auc) return make_error(name + ": " + auc.error().message);
      auto ap = pr_auc(scores, labels_here);
      if (!ap) return make_error(name + ": " + ap.error().message);
      fs::create_directories(out / name, ec);
      NpyArray arr;
      arr.shape = {int64_t(scores.size())};
      arr.data = scores;
      if (Status s = write_npy(out / name / "scores.npy", arr); !s) return s.error();
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
      result.rows.push_back({name, param_text, metrics, auc.value(), ap.value(), an_ms / n,
                             vad_ms / n, peak_rss_mib()});
    }
    NpyArray lab;
    lab.shape = {int64_t(all_labels.size())};
    lab.data = all_labels;
    if (Status s = write_npy(out / "labels.npy", lab); !s) return s.error();
    const json summary{{"privacy_set", a.privacy_set.string()},
                       {"vad_set", a.vad_set.string()},
                       {"labels", a.labels.string()},
                       {"head", so.head},
                       {"videos", videos.size()},
                       {"videos_not_in_labels", unlisted},
                       {"frames", all_labels.size()},
                       {"privacy_metric", a.privacy_metric},
                       {"privacy", privacy->to_json()},
                       {"results", results}};
    if (Status s = write_file_atomically(out / "results.json", summary.dump(2) + "\n"); !s)
      return s.error();
    if (Status s = write_file_atomically(out / "results.csv", csv); !s) return s.error();
    const std::string title =
        fmt::format("Privacy vs anomaly detection ({} head, {} videos)", so.head, videos.size());
    if (Status s = write_file_atomically(out / "tradeoff.svg",
                                         tradeoff_svg(points, a.privacy_metric, title));
        !s)
      return s.error();
    std::vector<uchar> png;
    try {
      cv::imencode(".png", tradeoff_png(points, a.privacy_metric, title), png);
    } catch (const cv::Exception& e) {
      return make_error(std::string("cannot draw the figure: ") + e.what());
    }
    if (Status s = write_file_atomically(out / "tradeoff.png", std::string(png.begin(), png.end()));
        !s)
      return s.error();
    result.videos_not_in_labels = unlisted;
    result.csv = out / "results.csv";
    result.json = out / "results.json";
    result.png = out / "tradeoff.png";
    result.svg = out / "tradeoff.svg";
    return result;
  });
}

}  // namespace la3d
