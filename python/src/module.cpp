// la3d's Python module (_la3d): numpy frames in and out over the library engine. The Python
// package (python/la3d) wraps it with dataclasses and keyword arguments; this file only converts.
// pybind11 is the binding layer because no Debian library binds C++ to numpy more plainly.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <mutex>

#include "la3d/core/coco.hpp"
#include "la3d/detect/detections_file.hpp"
#include "la3d/engine/anonymize_run.hpp"
#include "la3d/engine/engine.hpp"
#include "la3d/engine/vad_run.hpp"
#include "la3d/io/io.hpp"
#include "la3d/models/models.hpp"
#include "la3d/privacy/measure_privacy.hpp"
#include "la3d/vad/vad_scorer.hpp"
#include "la3d/version.hpp"

namespace py = pybind11;
namespace la3d::python {
namespace {

using Frame = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

[[noreturn]] void raise_setting(const Error& e) {
  throw py::value_error(e.message);
}

// An HxWx3 uint8 array (BGR, as cv2 gives) as a cv::Mat over the same memory.
cv::Mat as_mat(Frame& a) {
  if (a.ndim() != 3 || a.shape(2) != 3)
    throw py::value_error("a frame must be an HxWx3 uint8 array (BGR), got shape with " +
                          std::to_string(a.ndim()) + " dimension(s)");
  if (a.shape(0) < 1 || a.shape(1) < 1) throw py::value_error("the frame is empty");
  return cv::Mat(int(a.shape(0)), int(a.shape(1)), CV_8UC3, a.mutable_data());
}

Frame copy_of(const cv::Mat& m) {
  Frame out({m.rows, m.cols, 3});
  cv::Mat view(m.rows, m.cols, CV_8UC3, out.mutable_data());
  m.copyTo(view);
  return out;
}

// A detection as the detections file spells it: class, score, box [x1, y1, x2, y2] (inclusive
// pixels), mask a full-frame bool array or None.
py::dict to_dict(const Detection& d, cv::Size frame) {
  py::dict out;
  out["class"] = d.label;
  out["score"] = d.score;
  out["box"] = py::make_tuple(d.box.x, d.box.y, d.box.br().x - 1, d.box.br().y - 1);
  if (d.mask.empty()) {
    out["mask"] = py::none();
  } else {
    py::array_t<bool> m({frame.height, frame.width});
    cv::Mat full(frame.height, frame.width, CV_8U, m.mutable_data());
    full.setTo(0);
    const cv::Rect inside = d.box & cv::Rect({0, 0}, frame);
    cv::Mat1b src = d.mask(cv::Rect(inside.tl() - d.box.tl(), inside.size()));
    cv::Mat1b dst = full(inside);
    for (int y = 0; y < src.rows; ++y)
      for (int x = 0; x < src.cols; ++x) dst(y, x) = src(y, x) ? 1 : 0;
    out["mask"] = m;
  }
  return out;
}

Detection from_dict(const py::dict& d, cv::Size frame) {
  Detection out;
  const std::string name = d.contains("class") ? py::str(d["class"]).cast<std::string>() : "person";
  const auto c = class_by_name(name);
  if (!c) throw py::value_error("unknown class '" + name + "'");
  out.label = std::string(c->name);
  out.coco_id = c->id;
  out.score = d.contains("score") ? d["score"].cast<float>() : 1.f;
  if (!d.contains("box")) throw py::value_error("a detection needs a box [x1, y1, x2, y2]");
  const auto b = d["box"].cast<std::vector<double>>();
  if (b.size() != 4 || !(b[2] >= b[0]) || !(b[3] >= b[1]))
    throw py::value_error("box must be [x1, y1, x2, y2] with x2 >= x1 and y2 >= y1");
  out.box = clip_inclusive_box(b[0], b[1], b[2], b[3], frame);
  if (d.contains("mask") && !d["mask"].is_none()) {
    auto m = d["mask"].cast<py::array_t<bool, py::array::c_style | py::array::forcecast>>();
    if (m.ndim() != 2 || m.shape(0) != frame.height || m.shape(1) != frame.width)
      throw py::value_error("mask must be an HxW bool array the size of the frame");
    cv::Mat full(frame.height, frame.width, CV_8U, const_cast<bool*>(m.data()));
    cv::Rect bbox = cv::boundingRect(full);
    if (bbox.empty()) {
      out.box = {};
      return out;
    }
    out.box = bbox;
    out.mask = cv::Mat1b(bbox.size());
    for (int y = 0; y < bbox.height; ++y)
      for (int x = 0; x < bbox.width; ++x)
        out.mask(y, x) = full.at<uchar>(bbox.y + y, bbox.x + x) ? 255 : 0;
  }
  return out;
}

// Boxes the caller passes for the next frame: the engine's detector in Anonymizer.
class GivenDetections final : public Detector {
 public:
  std::string name() const override { return "given"; }
  Result<std::vector<Detection>> detect(const cv::Mat&, long long) override { return next; }
  std::vector<Detection> next;
};

// EngineOptions from the Python side's dict (the package checks names and fills defaults).
EngineOptions engine_options(const py::dict& kw) {
  EngineOptions o;
  for (const auto& [k, v] : kw) {
    const std::string key = py::str(k);
    auto r = [&]() -> Status {
      if (key == "method") {
        auto m = parse_method(v.cast<std::string>());
        if (!m) return m.error();
        o.pipeline.an.method = m.value();
      } else if (key == "detector") {
        o.detector = v.cast<std::string>();
      } else if (key == "threshold") {
        o.detect.threshold = v.cast<float>();
      } else if (key == "classes") {
        auto c = parse_classes(v.cast<std::vector<std::string>>());
        if (!c) return c.error();
        o.detect.classes = c.value();
      } else if (key == "blur_kernel") {
        o.pipeline.an.blur_kernel = v.cast<int>();
      } else if (key == "blur_sigma") {
        o.pipeline.an.blur_sigma = v.cast<double>();
      } else if (key == "block") {
        o.pipeline.an.pixel_block = v.cast<int>();
      } else if (key == "an_scale") {
        o.pipeline.an.an_scale = v.cast<double>();
      } else if (key == "an_bound") {
        o.pipeline.an.an_bound = v.cast<double>();
      } else if (key == "scaler") {
        auto s = parse_scaler(v.cast<std::string>());
        if (!s) return s.error();
        o.pipeline.an.scaler = s.value();
      } else if (key == "strength_reference") {
        auto s = parse_size_text(v.cast<std::string>(), "strength_reference");
        if (!s) return s.error();
        o.pipeline.an.strength_reference = s.value();
      } else if (key == "colour") {
        auto c = parse_colour(v.cast<std::string>());
        if (!c) return c.error();
        o.pipeline.an.mask_colour = c.value();
      } else if (key == "alpha") {
        o.pipeline.an.mask_alpha = v.cast<double>();
      } else if (key == "canny_low") {
        o.pipeline.an.canny_low = v.cast<double>();
      } else if (key == "canny_high") {
        o.pipeline.an.canny_high = v.cast<double>();
      } else if (key == "mask") {
        const std::string m = v.cast<std::string>();
        if (m != "box" && m != "ellipse" && m != "segment")
          return make_error("mask must be box, ellipse or segment, got '" + m + "'");
        o.pipeline.masks.box_shape = m == "ellipse" ? BoxShape::Ellipse : BoxShape::Box;
        o.segment = m == "segment";
      } else if (key == "mask_scale") {
        o.pipeline.masks.scale = v.cast<double>();
      } else if (key == "mask_dilate") {
        o.pipeline.masks.dilate_px = v.cast<int>();
      } else if (key == "detections") {
        o.detections_file = v.cast<std::string>();
      } else if (key == "hold") {
        o.hold = v.cast<int>();
      } else if (key == "detect_every") {
        auto k = parse_detect_every(py::str(v).cast<std::string>());
        if (!k) return k.error();
        o.detect_every = k.value();
      } else if (key == "camera") {
        auto c = parse_camera(v.cast<std::string>());
        if (!c) return c.error();
        o.camera = c.value();
      } else if (key == "motion_guard") {
        o.motion_guard = v.cast<bool>();
      } else if (key == "inference") {
        auto i = parse_inference(v.cast<std::string>());
        if (!i) return i.error();
        o.detect.inference = i.value();
      } else if (key == "tiles") {
        o.tiles = v.cast<int>();
      } else if (key == "threads") {
        o.threads = v.cast<int>();
      } else if (key == "allow_weak") {
        o.pipeline.allow_weak = v.cast<bool>();
      } else if (key == "model_dir") {
        o.model_dir = v.cast<std::string>();
      } else {
        return make_error("unknown option '" + key + "'");
      }
      return Ok{};
    }();
    if (!r) raise_setting(r.error());
  }
  return o;
}

// The library's errors, sorted: settings (ValueError), missing files and models, the rest.
[[noreturn]] void raise_build(const Error& e) {
  const std::string& m = e.message;
  if (m.find("model is needed") != std::string::npos || m.find("not found") != std::string::npos ||
      m.find("No such file") != std::string::npos ||
      m.find("no models installed") != std::string::npos)
    throw py::error_already_set([&] {
      PyErr_SetString(PyExc_FileNotFoundError, m.c_str());
      return py::error_already_set();
    }());
  throw py::value_error(m);
}

// A detector alone, as the engine would build it (no tracking): detect(frame) -> dicts.
class PyDetector {
 public:
  explicit PyDetector(const py::dict& kw) {
    auto d = make_detector(engine_options(kw));
    if (!d) raise_build(d.error());
    detector_ = std::move(d.value());
  }
  py::list detect(Frame frame) {
    cv::Mat in = as_mat(frame);
    Result<std::vector<Detection>> r = make_error("not run");
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      detector_->reset(0);  // each call is its own picture
      r = detector_->detect(in, 0);
    }
    if (!r) throw std::runtime_error(r.error().message);
    py::list out;
    for (const Detection& d : r.value()) out.append(to_dict(d, in.size()));
    return out;
  }
  std::string name() const { return detector_->name(); }

 private:
  std::unique_ptr<Detector> detector_;
  std::mutex mutex_;
};

// Anonymizes frames with detections the caller gives (the CLI's --detections path, per frame).
class PyAnonymizer {
 public:
  explicit PyAnonymizer(const py::dict& kw) {
    EngineOptions o = engine_options(kw);
    auto given = std::make_unique<GivenDetections>();
    given_ = given.get();
    auto e = build_engine(o, std::move(given));
    if (!e) raise_build(e.error());
    // no-an builds no detector: the given one was not kept, and must not be written to.
    if (!e->detector) given_ = nullptr;
    method_ = std::string(method_name(e->options.an.method));
    weak_ = e->weak;
    pipeline_ = std::make_unique<FramePipeline>(std::move(e.value()).pipeline());
  }
  Frame call(Frame frame, const py::list& detections) {
    cv::Mat in = as_mat(frame);
    std::vector<Detection> dets;
    for (const auto& d : detections) dets.push_back(from_dict(d.cast<py::dict>(), in.size()));
    cv::Mat work = in.clone();
    Status s = Ok{};
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      // Each call is its own picture: nothing is held from one call into the next.
      if (given_) given_->next = std::move(dets);
      pipeline_->start_sequence();
      auto r = pipeline_->process(work, 0);
      if (!r) s = r.error();
    }
    if (!s) throw std::runtime_error(s.error().message);
    return copy_of(work);
  }
  const std::string& method() const { return method_; }
  const std::vector<std::string>& weak() const { return weak_; }

 private:
  std::unique_ptr<FramePipeline> pipeline_;
  GivenDetections* given_ = nullptr;  // owned by the pipeline; null for no-an
  std::string method_;
  std::vector<std::string> weak_;
  std::mutex mutex_;
};

// The engine as the CLI builds it: its own detector, tracking across the frames of a sequence.
class PyEngine {
 public:
  explicit PyEngine(const py::dict& kw) : options_(engine_options(kw)) {
    auto e = build_engine(options_);
    if (!e) raise_build(e.error());
    method_ = std::string(method_name(e->options.an.method));
    weak_ = e->weak;
    pipeline_ = std::make_unique<FramePipeline>(std::move(e.value()).pipeline());
  }
  py::tuple process(Frame frame) {
    cv::Mat work = as_mat(frame).clone();
    Result<FrameReport> r = make_error("not run");
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      r = pipeline_->process(work, index_++);
    }
    if (!r) throw std::runtime_error(r.error().message);
    py::list dets;
    for (const Detection& d : r->detections) dets.append(to_dict(d, work.size()));
    return py::make_tuple(copy_of(work), dets);
  }
  void start_sequence(double fps) {
    std::lock_guard lock(mutex_);
    pipeline_->start_sequence(fps);
    index_ = 0;
  }
  py::dict anonymize_file(const std::string& src, const std::string& dst, bool overwrite) {
    AnonymizeRunOptions run;
    run.inputs = {src};
    run.output = dst;
    run.overwrite = overwrite;
    AnonymizeOutcome out;
    {
      py::gil_scoped_release release;
      out = anonymize_inputs(run, options_);
    }
    if (out.end != RunEnd::Done) {
      if (out.error.find("not found") != std::string::npos) raise_build(make_error(out.error));
      throw std::runtime_error(out.error);
    }
    py::dict d;
    py::list written;
    for (const auto& p : out.written) written.append(p.string());
    d["outputs"] = written;
    d["frames"] = out.totals.frames;
    d["regions_hidden"] = out.totals.regions;
    d["wall_s"] = out.wall_s;
    return d;
  }
  const std::string& method() const { return method_; }
  const std::vector<std::string>& weak() const { return weak_; }

 private:
  EngineOptions options_;
  std::unique_ptr<FramePipeline> pipeline_;
  long long index_ = 0;
  std::string method_;
  std::vector<std::string> weak_;
  std::mutex mutex_;
};

// A video file (or URL) decoded by the library's reader, as `la3d anonymize` reads it.
class PyVideoReader {
 public:
  explicit PyVideoReader(const std::string& spec) {
    auto s = VideoSource::open(spec);
    if (!s) raise_build(s.error());
    source_ = std::move(s.value());
  }
  // The next frame, or None at the end.
  py::object read() {
    cv::Mat frame;
    Result<bool> r = make_error("not run");
    {
      py::gil_scoped_release release;
      r = guarded("reading a frame", [&] { return source_->read(frame); });
    }
    if (!r) throw std::runtime_error(r.error().message);
    if (!r.value()) return py::none();
    return copy_of(frame);
  }
  double fps() const { return source_->fps().value(); }
  py::tuple size() const { return py::make_tuple(source_->size().width, source_->size().height); }
  long long frame_count() const { return source_->frame_count(); }

 private:
  std::unique_ptr<VideoSource> source_;
};

// ScorerOptions from keyword arguments (the package fills the CLI's defaults it documents).
ScorerOptions scorer_options(const py::dict& kw, int* window = nullptr) {
  ScorerOptions o;
  for (const auto& [k, v] : kw) {
    const std::string key = py::str(k);
    if (key == "head")
      o.head = v.cast<std::string>();
    else if (key == "dataset")
      o.dataset = v.cast<std::string>();
    else if (key == "encoder")
      o.encoder = v.cast<std::string>();
    else if (key == "weights")
      o.weights = v.cast<std::string>();
    else if (key == "encoder_weights")
      o.encoder_weights = v.cast<std::string>();
    else if (key == "formula_weights")
      o.formula_weights = v.cast<bool>();
    else if (key == "alert_threshold")
      o.alert_threshold = v.cast<double>();
    else if (key == "threads")
      o.threads = v.cast<int>();
    else if (key == "model_dir")
      o.model_dir = v.cast<std::string>();
    else if (key == "window" && window)
      *window = v.cast<int>();
    else
      throw py::value_error("unknown VAD option '" + key + "'");
  }
  if (window && *window < 1) throw py::value_error("window must be at least 1 snippet");
  return o;
}

py::dict snippet_dict(const SnippetScore& s) {
  py::dict d;
  d["snippet"] = s.snippet;
  d["first_frame"] = s.first_frame;
  d["last_frame"] = s.last_frame;
  d["score"] = s.score;
  d["alert"] = s.alert;
  return d;
}

// Streaming VAD over frames the caller gives (anonymized ones: the caller's engine made them).
class PyVadScorer {
 public:
  explicit PyVadScorer(const py::dict& kw) {
    int window = 8;
    ScorerOptions o = scorer_options(kw, &window);
    auto s = make_scorer(o);
    if (!s) raise_build(s.error());
    name_ = s.value()->name();
    scorer_ = std::make_unique<StreamingScorer>(std::move(s.value()), window, o.alert_threshold);
  }
  py::object add(Frame frame) {
    cv::Mat in = as_mat(frame).clone();
    Result<std::optional<SnippetScore>> r = make_error("not run");
    {
      py::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      r = guarded("scoring a frame", [&] { return scorer_->add_frame(in); });
    }
    if (!r) throw std::runtime_error(r.error().message);
    if (!r.value()) return py::none();
    return snippet_dict(*r.value());
  }
  std::vector<float> scores() {
    std::lock_guard lock(mutex_);
    return scorer_->scores();
  }
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<StreamingScorer> scorer_;
  std::string name_;
  std::mutex mutex_;
};

// `la3d vad INPUT`: the engine, then the scorer, outputs written to out_dir.
py::dict run_vad_py(const std::string& input, const py::dict& run_kw, const py::dict& engine_kw,
                    const py::dict& scorer_kw) {
  VadRunOptions run;
  run.input = input;
  for (const auto& [k, v] : run_kw) {
    const std::string key = py::str(k);
    if (key == "out_dir")
      run.out_dir = v.cast<std::string>();
    else if (key == "stream")
      run.stream = v.cast<bool>();
    else if (key == "window")
      run.window = v.cast<int>();
    else if (key == "smooth")
      run.smooth = v.cast<std::string>();
    else if (key == "write_video")
      run.write_video = v.cast<bool>();
    else if (key == "codec")
      run.codec = v.cast<std::string>();
    else if (key == "crf")
      run.crf = v.cast<int>();
    else if (key == "fps")
      run.fps = v.cast<double>();
    else
      throw py::value_error("unknown VAD run option '" + key + "'");
  }
  const EngineOptions engine = engine_options(engine_kw);
  const ScorerOptions scorer = scorer_options(scorer_kw);
  Result<VadRunResult> r = make_error("not run");
  {
    py::gil_scoped_release release;
    r = run_vad(run, engine, scorer);
  }
  if (!r) raise_build(r.error());
  py::dict d;
  d["scorer"] = r->scorer;
  d["frames"] = r->frames;
  d["snippets"] = r->snippets;
  d["segments"] = r->segments;
  d["wall_s"] = r->wall_s;
  d["real_time_factor"] = r->real_time_factor;
  py::list written;
  for (const auto& p : r->written) written.append(p.string());
  d["written"] = written;
  return d;
}

// `la3d privacy INPUTS`: the report as JSON text (the package parses it).
std::string measure_privacy_py(const std::vector<std::string>& inputs, const py::dict& kw,
                               const py::dict& engine_kw) {
  MeasurePrivacyOptions o;
  o.inputs = inputs;
  for (const auto& [k, v] : kw) {
    const std::string key = py::str(k);
    if (key == "methods") {
      for (const auto& name : v.cast<std::vector<std::string>>()) {
        auto m = parse_method(name);
        if (!m) raise_setting(m.error());
        o.methods.push_back(m.value());
      }
    } else if (key == "every")
      o.every = v.cast<int>();
    else if (key == "anonymized")
      o.anonymized = v.cast<std::string>();
    else if (key == "ground_truth")
      o.ground_truth = v.cast<std::string>();
    else if (key == "json")
      o.json = v.cast<std::string>();
    else if (key == "report")
      o.report = v.cast<std::string>();
    else if (key == "model_dir")
      o.model_dir = v.cast<std::string>();
    else if (key == "face_threshold")
      o.attack.face_threshold = v.cast<float>();
    else if (key == "person_threshold")
      o.attack.person_threshold = v.cast<float>();
    else if (key == "reid_model")
      o.attack.reid_model = v.cast<std::string>();
    else
      throw py::value_error("unknown privacy option '" + key + "'");
  }
  const EngineOptions engine = engine_options(engine_kw);
  Result<PrivacyReport> r = make_error("not run");
  {
    py::gil_scoped_release release;
    r = measure_privacy(o, engine);
  }
  if (!r) raise_build(r.error());
  return r->to_json().dump();
}

py::dict model_dict(const InstalledModel& m) {
  py::dict d;
  d["name"] = m.name;
  d["task"] = m.task;
  d["classes"] = m.classes;
  d["onnx"] = m.onnx.string();
  d["input_shape"] = m.input_shape;
  d["sha256"] = m.sha256;
  return d;
}

py::list models_py(const std::string& dir, bool install) {
  Result<std::vector<InstalledModel>> r = make_error("not run");
  {
    py::gil_scoped_release release;
    bool changed = false;
    r = install ? install_models(dir, changed) : installed_models(dir);
  }
  if (!r) raise_build(r.error());
  py::list out;
  for (const auto& m : r.value()) out.append(model_dict(m));
  return out;
}

}  // namespace
}  // namespace la3d::python

using namespace la3d;
using namespace la3d::python;

PYBIND11_MODULE(_la3d, m) {
  m.doc() = "la3d's C++ engine (use the la3d package, not this module)";
  m.attr("__version__") = LA3D_VERSION;
  m.def("methods", [] {
    py::list out;
    for (const MethodInfo& i : all_methods())
      out.append(
          py::make_tuple(std::string(i.name), std::string(i.paper), std::string(i.description)));
    return out;
  });
  m.def("default_model_dir", [] { return default_cache_dir().string(); });
  py::class_<PyDetector>(m, "Detector")
      .def(py::init<const py::dict&>())
      .def("detect", &PyDetector::detect)
      .def_property_readonly("name", &PyDetector::name);
  py::class_<PyAnonymizer>(m, "Anonymizer")
      .def(py::init<const py::dict&>())
      .def("__call__", &PyAnonymizer::call)
      .def_property_readonly("method", &PyAnonymizer::method)
      .def_property_readonly("weak_settings", &PyAnonymizer::weak);
  py::class_<PyEngine>(m, "Engine")
      .def(py::init<const py::dict&>())
      .def("process", &PyEngine::process)
      .def("start_sequence", &PyEngine::start_sequence)
      .def("anonymize_file", &PyEngine::anonymize_file)
      .def_property_readonly("method", &PyEngine::method)
      .def_property_readonly("weak_settings", &PyEngine::weak);
  py::class_<PyVideoReader>(m, "VideoReader")
      .def(py::init<const std::string&>())
      .def("read", &PyVideoReader::read)
      .def_property_readonly("fps", &PyVideoReader::fps)
      .def_property_readonly("size", &PyVideoReader::size)
      .def_property_readonly("frame_count", &PyVideoReader::frame_count);
  py::class_<PyVadScorer>(m, "VadScorer")
      .def(py::init<const py::dict&>())
      .def("add", &PyVadScorer::add)
      .def_property_readonly("scores", &PyVadScorer::scores)
      .def_property_readonly("name", &PyVadScorer::name);
  m.def("run_vad", &run_vad_py);
  m.def("measure_privacy", &measure_privacy_py);
  m.def("models", &models_py);
}
