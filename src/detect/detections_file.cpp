#include "la3d/detect/detections_file.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <unordered_map>

#include "la3d/core/coco.hpp"
#include "la3d/io/io.hpp"

namespace la3d {
namespace {

using json = nlohmann::json;

Error line_error(int line_no, const std::string& what) {
  return make_error("detections line " + std::to_string(line_no) + ": " + what);
}

// Frames larger than this on a side, or in all, are not video (8K UHD has 33 Mpx): the bounds keep
// W * H and every RLE sum far from overflow, and a full-frame mask built for a line at 64 MB,
// whatever a file claims.
constexpr long long kMaxSide = 1 << 16;
constexpr long long kMaxPixels = 1 << 26;

// An integer JSON value within [lo, hi]; nullopt for anything else (a float, a string, or an
// integer that would wrap when narrowed, such as 2^32 + 768).
std::optional<long long> bounded_integer(const json& v, long long lo, long long hi) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(hi) || static_cast<long long>(u) < lo)
      return std::nullopt;
    return static_cast<long long>(u);
  }
  if (!v.is_number_integer()) return std::nullopt;
  const auto i = v.get<long long>();
  if (i < lo || i > hi) return std::nullopt;
  return i;
}

// Polygon vertices clipped to the rectangle [lo, hi] (Sutherland-Hodgman, in double): a vertex at
// 1e300 must neither overflow the int conversion nor drop the part of the polygon in the frame.
std::vector<cv::Point2d> clip_polygon(std::vector<cv::Point2d> poly, cv::Point2d lo,
                                      cv::Point2d hi) {
  auto clip_edge = [&poly](auto inside, auto cross) {
    std::vector<cv::Point2d> out;
    for (size_t i = 0; i < poly.size(); ++i) {
      const cv::Point2d a = poly[i], b = poly[(i + 1) % poly.size()];
      if (inside(a)) out.push_back(a);
      if (inside(a) != inside(b)) out.push_back(cross(a, b));
    }
    poly = std::move(out);
  };
  // Where segment a-b crosses x = c (or y = c): the parameter comes from the axis it crosses.
  auto at_x = [](double c) {
    return [c](cv::Point2d a, cv::Point2d b) {
      const double t = (c - a.x) / (b.x - a.x);
      return cv::Point2d(c, a.y + t * (b.y - a.y));
    };
  };
  auto at_y = [](double c) {
    return [c](cv::Point2d a, cv::Point2d b) {
      const double t = (c - a.y) / (b.y - a.y);
      return cv::Point2d(a.x + t * (b.x - a.x), c);
    };
  };
  clip_edge([&](cv::Point2d p) { return p.x >= lo.x; }, at_x(lo.x));
  clip_edge([&](cv::Point2d p) { return p.x <= hi.x; }, at_x(hi.x));
  clip_edge([&](cv::Point2d p) { return p.y >= lo.y; }, at_y(lo.y));
  clip_edge([&](cv::Point2d p) { return p.y <= hi.y; }, at_y(hi.y));
  return poly;
}

Result<cv::Mat1b> parse_rle(const json& m, cv::Size frame, int line_no) {
  if (!m.is_object() || !m.contains("size") || !m.contains("counts"))
    return line_error(line_no, "\"mask\" needs \"size\" and \"counts\"");
  const json& size = m["size"];
  if (!size.is_array() || size.size() != 2)
    return line_error(line_no, "mask \"size\" must be [H, W]");
  const auto h = bounded_integer(size[0], 1, kMaxSide), w = bounded_integer(size[1], 1, kMaxSide);
  if (!h || !w) return line_error(line_no, "mask \"size\" must be [H, W] in pixels");
  if (*h != frame.height || *w != frame.width)
    return line_error(line_no, "mask size does not match the frame's height and width");
  if (m["counts"].is_string())
    return line_error(line_no, "compressed RLE strings are not supported; give counts as numbers");
  if (!m["counts"].is_array()) return line_error(line_no, "mask \"counts\" must be an array");
  const long long pixels = static_cast<long long>(frame.width) * frame.height;
  if (m["counts"].size() > static_cast<size_t>(pixels) + 1)
    return line_error(line_no, "mask has more counts than pixels");
  std::vector<uint32_t> counts;
  counts.reserve(m["counts"].size());
  for (const json& c : m["counts"]) {
    const auto v = bounded_integer(c, 0, pixels);
    if (!v) return line_error(line_no, "mask counts must be integers from 0 to the pixel count");
    counts.push_back(static_cast<uint32_t>(*v));
  }
  auto decoded = rle_decode(counts, frame);
  if (!decoded) return line_error(line_no, decoded.error().message);
  return decoded.value();
}

Result<cv::Mat1b> parse_polygons(const json& polys, cv::Size frame, int line_no) {
  if (!polys.is_array() || polys.empty())
    return line_error(line_no, "\"polygons\" must be a non-empty list of [x0, y0, x1, y1, ...]");
  std::vector<std::vector<cv::Point>> contours;
  for (const json& poly : polys) {
    if (!poly.is_array() || poly.size() < 6 || poly.size() % 2 != 0)
      return line_error(line_no, "each polygon needs an even number (>= 6) of coordinates");
    std::vector<cv::Point2d> vertices;
    for (size_t k = 0; k < poly.size(); k += 2) {
      if (!poly[k].is_number() || !poly[k + 1].is_number())
        return line_error(line_no, "polygon coordinates must be numbers");
      vertices.emplace_back(poly[k].get<double>(), poly[k + 1].get<double>());
    }
    // One pixel of margin: the clipped outline then runs outside the frame, never along its edge.
    std::vector<cv::Point> pts;
    for (const cv::Point2d& v :
         clip_polygon(std::move(vertices), {-1, -1}, {double(frame.width), double(frame.height)}))
      pts.emplace_back(int(std::lround(v.x)), int(std::lround(v.y)));
    if (!pts.empty()) contours.push_back(std::move(pts));
  }
  cv::Mat1b m(frame, uchar(0));
  cv::fillPoly(m, contours, 255);
  return m;
}

// Puts a full-frame mask into Detection form: the tight box and the mask over it.
void set_full_mask(Detection& det, const cv::Mat1b& full) {
  const cv::Rect r = cv::boundingRect(full);
  det.box = r;
  det.mask = r.empty() ? cv::Mat1b() : cv::Mat1b(full(r).clone());
}

Result<Detection> parse_object(const json& o, cv::Size frame, int line_no) {
  if (!o.is_object()) return line_error(line_no, "each object must be a JSON object");
  if (!o.contains("class") || !o["class"].is_string())
    return line_error(line_no, "object without a \"class\" name");
  Detection det;
  det.label = o["class"].get<std::string>();
  const auto coco = class_by_name(det.label);
  if (!coco)
    return line_error(line_no, "unknown class '" + det.label + "' (COCO names or face expected)");
  det.coco_id = coco->id;
  det.score = 1.f;
  if (o.contains("score")) {
    if (!o["score"].is_number()) return line_error(line_no, "\"score\" must be a number");
    // Narrowed through a clamp: a double beyond float's range is undefined to convert.
    det.score = float(std::clamp(o["score"].get<double>(), -1e30, 1e30));
  }
  if (o.contains("mask")) {
    auto m = parse_rle(o["mask"], frame, line_no);
    if (!m) return m.error();
    set_full_mask(det, m.value());
    return det;
  }
  if (o.contains("polygons")) {
    auto m = parse_polygons(o["polygons"], frame, line_no);
    if (!m) return m.error();
    set_full_mask(det, m.value());
    return det;
  }
  if (!o.contains("box"))
    return line_error(line_no, "object has none of \"box\", \"mask\", \"polygons\"");
  const json& b = o["box"];
  if (!b.is_array() || b.size() != 4 ||
      !std::all_of(b.begin(), b.end(), [](const json& v) { return v.is_number(); }))
    return line_error(line_no, "\"box\" must be [x1, y1, x2, y2]");
  const double x1 = b[0].get<double>(), y1 = b[1].get<double>();
  const double x2 = b[2].get<double>(), y2 = b[3].get<double>();
  if (x2 < x1 || y2 < y1) return line_error(line_no, "\"box\" has x2 < x1 or y2 < y1");
  det.box = clip_inclusive_box(x1, y1, x2, y2, frame);
  return det;
}

class FileDetector final : public Detector {
 public:
  FileDetector(std::unordered_map<long long, std::pair<int, std::string>> lines,
               DetectOptions options, std::string name)
      : lines_(std::move(lines)), options_(std::move(options)), name_(std::move(name)) {}
  std::string name() const override { return name_; }

  Result<std::vector<Detection>> detect(const cv::Mat& frame, long long index) override {
    std::vector<Detection> out;
    const auto it = lines_.find(index);
    if (it == lines_.end()) return out;
    auto rec = parse_detections_line(it->second.second, it->second.first);
    if (!rec) return rec.error();
    if (rec->size != frame.size())
      return line_error(it->second.first,
                        "frame is " + std::to_string(rec->size.width) + "x" +
                            std::to_string(rec->size.height) + " but the input frame is " +
                            std::to_string(frame.cols) + "x" + std::to_string(frame.rows));
    for (Detection& d : rec->objects)
      // Motion-guard regions were hidden when the file was written; they stay hidden.
      if (d.coco_id == kMotionClassId ||
          (options_.classes.contains(d.coco_id) && d.score >= options_.threshold))
        out.push_back(std::move(d));
    return out;
  }

 private:
  // Frame index -> (line number, raw line). Lines are re-parsed on use so that memory stays at the
  // size of the file rather than that of every decoded mask.
  std::unordered_map<long long, std::pair<int, std::string>> lines_;
  DetectOptions options_;
  std::string name_;
};

}  // namespace

namespace {
Result<FrameDetections> parse_line(const std::string& line, int line_no);
}  // namespace

cv::Rect clip_inclusive_box(double x1, double y1, double x2, double y2, cv::Size frame) {
  // A box reaching outside the frame hides what it covers of it, whatever its numbers; one wholly
  // outside covers nothing. NaN compares false everywhere below and so covers nothing either.
  const double ix1 = std::max(std::floor(x1), 0.0), iy1 = std::max(std::floor(y1), 0.0);
  const double ix2 = std::min(std::ceil(x2), frame.width - 1.0);
  const double iy2 = std::min(std::ceil(y2), frame.height - 1.0);
  if (ix1 <= ix2 && iy1 <= iy2)
    return cv::Rect(int(ix1), int(iy1), int(ix2 - ix1) + 1, int(iy2 - iy1) + 1);  // inclusive
  return {};
}

Result<FrameDetections> parse_detections_line(const std::string& line, int line_no) {
  // Every access below is checked first; this catch is for what a check may have missed (a JSON
  // precondition throws, json_config.hpp), so that it is still an error naming the line.
  try {
    return parse_line(line, line_no);
  } catch (const std::exception& e) {
    return line_error(line_no, std::string("malformed (") + e.what() + ")");
  }
}

namespace {
Result<FrameDetections> parse_line(const std::string& line, int line_no) {
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {  // out_of_range too: a number like 1e3300
    // nlohmann prefixes its own tag ("[json.exception.parse_error.101] "); the user needs the rest.
    std::string what = e.what();
    if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string::npos)
      what = what.substr(what.find("] ") + 2);
    return line_error(line_no, "not valid JSON (" + what + ")");
  }
  if (!j.is_object()) return line_error(line_no, "expected a JSON object");
  for (const char* key : {"frame", "width", "height"})
    if (!j.contains(key) || !j[key].is_number_integer())
      return line_error(line_no, std::string("missing integer \"") + key + "\"");
  const auto frame = bounded_integer(j["frame"], 0, 1LL << 53);
  if (!frame) return line_error(line_no, "\"frame\" must be an integer from 0 to 2^53");
  const auto w = bounded_integer(j["width"], 1, kMaxSide);
  const auto h = bounded_integer(j["height"], 1, kMaxSide);
  if (!w || !h)
    return line_error(line_no,
                      "width and height must be integers from 1 to " + std::to_string(kMaxSide));
  if (*w * *h > kMaxPixels)
    return line_error(line_no, "a frame of " + std::to_string(*w) + "x" + std::to_string(*h) +
                                   " is larger than 67 million pixels");
  FrameDetections rec;
  rec.frame = *frame;
  rec.size = {int(*w), int(*h)};
  if (!j.contains("objects") || !j["objects"].is_array())
    return line_error(line_no, "missing \"objects\" array");
  for (const json& o : j["objects"]) {
    auto det = parse_object(o, rec.size, line_no);
    if (!det) return det.error();
    rec.objects.push_back(std::move(det.value()));
  }
  return rec;
}
}  // namespace

std::string format_detections_line(const FrameDetections& rec) {
  json objects = json::array();
  for (const Detection& d : rec.objects) {
    json o;
    o["class"] = d.label;
    o["score"] = std::round(double(d.score) * 1e4) / 1e4;
    o["box"] = {d.box.x, d.box.y, d.box.x + d.box.width - 1, d.box.y + d.box.height - 1};
    if (!d.mask.empty()) {
      cv::Mat1b full(rec.size, uchar(0));
      const cv::Rect inside = d.box & cv::Rect({0, 0}, rec.size);
      d.mask(inside - d.box.tl()).copyTo(full(inside));
      o["mask"] = {{"size", {rec.size.height, rec.size.width}}, {"counts", rle_encode(full)}};
    }
    objects.push_back(std::move(o));
  }
  json j{{"frame", rec.frame},
         {"width", rec.size.width},
         {"height", rec.size.height},
         {"objects", objects}};
  return j.dump();
}

Result<std::unique_ptr<Detector>> open_detections_file(const std::filesystem::path& path,
                                                       const DetectOptions& options) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read detections file " + path.string());
  std::unordered_map<long long, std::pair<int, std::string>> lines;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto rec = parse_detections_line(line, line_no);
    if (!rec) return make_error(path.filename().string() + ": " + rec.error().message);
    if (!lines.emplace(rec->frame, std::make_pair(line_no, line)).second)
      return make_error(
          path.filename().string() + ": " +
          line_error(line_no, "frame " + std::to_string(rec->frame) + " appears twice").message);
  }
  if (in.bad()) return make_error("error reading detections file " + path.string());
  return std::unique_ptr<Detector>(std::make_unique<FileDetector>(
      std::move(lines), options, "file:" + path.filename().string()));
}

Result<std::unique_ptr<DetectionsWriter>> DetectionsWriter::open(
    const std::filesystem::path& path) {
  std::unique_ptr<DetectionsWriter> w(new DetectionsWriter());
  w->final_path_ = path;
  w->temp_path_ = partial_path_for(path);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  w->out_.open(w->temp_path_, std::ios::trunc);
  if (!w->out_) return make_error("cannot write detections file " + path.string());
  return w;
}

DetectionsWriter::~DetectionsWriter() {
  if (finished_) return;
  out_.close();
  std::error_code ec;
  std::filesystem::remove(temp_path_, ec);
}

Status DetectionsWriter::write(const FrameDetections& record) {
  out_ << format_detections_line(record) << '\n';
  if (!out_) return make_error("cannot write detections file " + final_path_.string());
  return Ok{};
}

Status DetectionsWriter::finish(OutputBatch* batch) {
  out_.close();
  if (!out_) return make_error("cannot write detections file " + final_path_.string());
  finished_ = true;
  return finish_output(temp_path_, final_path_, batch);
}

}  // namespace la3d
