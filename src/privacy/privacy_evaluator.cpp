// la3d privacy's bookkeeping: what the attackers found on each original, what they still find on
// each anonymized version of it, and the metrics over a whole run.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <opencv2/dnn.hpp>

#include "la3d/core/coco.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d {
namespace {

using json = nlohmann::json;

double iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  return inter > 0 ? inter / (a.area() + b.area() - inter) : 0.0;
}

// How many of `wanted` some box of `found` overlaps by at least `min_iou`, each found box used
// once (greedy, best overlap first).
int matched(const std::vector<cv::Rect>& wanted, const std::vector<cv::Rect>& found,
            double min_iou) {
  std::vector<std::tuple<double, size_t, size_t>> pairs;
  for (size_t i = 0; i < wanted.size(); ++i)
    for (size_t j = 0; j < found.size(); ++j)
      if (const double o = iou(wanted[i], found[j]); o >= min_iou) pairs.emplace_back(o, i, j);
  std::sort(pairs.rbegin(), pairs.rend());
  std::vector<bool> used_w(wanted.size()), used_f(found.size());
  int n = 0;
  for (const auto& [o, i, j] : pairs)
    if (!used_w[i] && !used_f[j]) {
      used_w[i] = used_f[j] = true;
      ++n;
    }
  return n;
}

std::optional<double> mean_of(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

// Index of the gallery entry most similar (cosine) to `probe`.
size_t nearest(const std::vector<float>& probe,
               const std::vector<const std::vector<float>*>& gallery) {
  size_t best = 0;
  double best_sim = -2;
  for (size_t k = 0; k < gallery.size(); ++k)
    if (const double s = cosine_similarity(probe, *gallery[k]); s > best_sim) {
      best_sim = s;
      best = k;
    }
  return best;
}

}  // namespace

const std::vector<std::string>& privacy_metric_names() {
  static const std::vector<std::string> kNames = {"face_redetection",
                                                  "person_redetection",
                                                  "face_similarity",
                                                  "face_rank1",
                                                  "face_verification",
                                                  "gender_agreement",
                                                  "age_mae",
                                                  "reid_rank1",
                                                  "reid_rank1_colour",
                                                  "ssim",
                                                  "psnr"};
  return kNames;
}

struct PrivacyEvaluator::State {
  PrivacyAttackers a;
  struct Original {
    std::vector<cv::Rect> faces, persons;
    std::vector<std::optional<FaceDescription>> described;  // per face
    std::vector<std::vector<float>> reid, colour;           // per person (empty if none)
  };
  struct Attack {
    int faces_found = 0, persons_found = 0;
    std::vector<std::optional<FaceDescription>> described;  // per original face
    std::vector<std::vector<float>> reid, colour;           // per original person
    std::optional<PixelSimilarity> pixels;
  };
  std::vector<std::string> order;            // keys in the order added
  std::map<std::string, std::string> group;  // key -> its video ("" for an image)
  std::map<std::string, Original> originals;
  std::vector<std::string> methods;                              // in the order first seen
  std::map<std::string, std::map<std::string, Attack>> attacks;  // method -> key -> attack

  // Faces on the whole image and inside each of `regions` (people), merged.
  Result<std::vector<cv::Rect>> find_faces(const cv::Mat& image,
                                           const std::vector<cv::Rect>& regions) {
    std::vector<cv::Rect> boxes;
    std::vector<float> scores;
    auto collect = [&](const cv::Mat& view, cv::Point offset) -> Status {
      auto found = a.face_finder->detect(view, 0);
      if (!found) return found.error();
      for (const Detection& d : found.value()) {
        boxes.push_back(d.box + offset);
        scores.push_back(d.score);
      }
      return Ok{};
    };
    if (Status s = collect(image, {0, 0}); !s) return s.error();
    for (const cv::Rect& r : regions) {
      const cv::Rect clipped = r & cv::Rect({0, 0}, image.size());
      if (clipped.width < 8 || clipped.height < 8) continue;
      if (Status s = collect(image(clipped), clipped.tl()); !s) return s.error();
    }
    std::vector<int> keep;
    cv::dnn::NMSBoxes(boxes, scores, 0.f, 0.3f, keep);
    std::vector<cv::Rect> out;
    for (int k : keep) out.push_back(boxes[k]);
    std::sort(out.begin(), out.end(), [](const cv::Rect& p, const cv::Rect& q) {
      return std::tie(p.x, p.y) < std::tie(q.x, q.y);
    });
    return out;
  }

  Result<std::vector<cv::Rect>> find_persons(const cv::Mat& image) {
    auto found = a.person_finder->detect(image, 0);
    if (!found) return found.error();
    std::vector<cv::Rect> out;
    for (const Detection& d : found.value())
      if (d.coco_id == 1) out.push_back(d.box);
    return out;
  }

  // Descriptions of the faces at `faces` and embeddings of the people at `persons`, all taken
  // from `image` at those places.
  Status describe(const cv::Mat& image, const std::vector<cv::Rect>& faces,
                  const std::vector<cv::Rect>& persons,
                  std::vector<std::optional<FaceDescription>>& described,
                  std::vector<std::vector<float>>& reid, std::vector<std::vector<float>>& colour) {
    described.assign(faces.size(), std::nullopt);
    if (a.face_describer)
      for (size_t k = 0; k < faces.size(); ++k) {
        const cv::Rect box = face_crop_box(faces[k], image.size());
        if (box.empty()) continue;
        auto d = a.face_describer->describe(image(box));
        if (!d) return d.error();
        described[k] = std::move(d.value());
      }
    reid.assign(persons.size(), {});
    colour.assign(persons.size(), {});
    for (size_t k = 0; k < persons.size(); ++k) {
      const cv::Rect box = persons[k] & cv::Rect({0, 0}, image.size());
      if (box.empty()) continue;
      if (a.reid) {
        auto e = a.reid->embed(image(box));
        if (!e) return e.error();
        reid[k] = std::move(e.value());
      }
      auto c = a.colour->embed(image(box));
      if (!c) return c.error();
      colour[k] = std::move(c.value());
    }
    return Ok{};
  }
};

PrivacyEvaluator::PrivacyEvaluator(PrivacyAttackers attackers) : s_(std::make_unique<State>()) {
  s_->a = std::move(attackers);
}
PrivacyEvaluator::~PrivacyEvaluator() = default;

Status PrivacyEvaluator::add_original(const std::string& key, const cv::Mat& original,
                                      const std::vector<Detection>* truth,
                                      const std::string& group) {
  if (!s_->a.face_finder || !s_->a.person_finder || !s_->a.colour)
    return make_error("privacy evaluation needs a face finder and a person finder");
  if (original.empty() || original.type() != CV_8UC3)
    return make_error("original " + key + " is not a BGR image");
  if (s_->originals.contains(key)) return make_error("original " + key + " was added twice");
  State::Original o;
  if (truth) {
    const cv::Rect frame({0, 0}, original.size());
    for (const Detection& d : *truth) {
      const cv::Rect box = d.box & frame;
      if (box.empty()) continue;
      if (d.coco_id == 1) o.persons.push_back(box);
      if (d.coco_id == kFaceClassId) o.faces.push_back(box);
    }
  } else {
    auto persons = s_->find_persons(original);
    if (!persons) return persons.error();
    o.persons = std::move(persons.value());
    auto faces = s_->find_faces(original, o.persons);
    if (!faces) return faces.error();
    o.faces = std::move(faces.value());
  }
  if (Status st = s_->describe(original, o.faces, o.persons, o.described, o.reid, o.colour); !st)
    return st;
  s_->originals.emplace(key, std::move(o));
  s_->order.push_back(key);
  s_->group[key] = group;
  return Ok{};
}

Status PrivacyEvaluator::add_anonymized(const std::string& key, const std::string& method,
                                        const cv::Mat& original, const cv::Mat& anonymized,
                                        const cv::Mat1b& hidden) {
  const auto it = s_->originals.find(key);
  if (it == s_->originals.end()) return make_error("no original " + key + " was added");
  const State::Original& o = it->second;
  if (anonymized.empty() || anonymized.type() != CV_8UC3)
    return make_error(method + " output of " + key + " is not a BGR image");
  State::Attack at;
  auto persons = s_->find_persons(anonymized);
  if (!persons) return persons.error();
  at.persons_found = matched(o.persons, persons.value(), s_->a.match_iou);
  // The attacker also looks for faces where people were in the original: the strongest attacker
  // knows where to look.
  std::vector<cv::Rect> regions = o.persons;
  regions.insert(regions.end(), persons->begin(), persons->end());
  auto faces = s_->find_faces(anonymized, regions);
  if (!faces) return faces.error();
  at.faces_found = matched(o.faces, faces.value(), s_->a.match_iou);
  if (Status st = s_->describe(anonymized, o.faces, o.persons, at.described, at.reid, at.colour);
      !st)
    return st;
  auto pixels = masked_similarity(original, anonymized, hidden);
  if (!pixels) return pixels.error();
  at.pixels = pixels.value();
  if (std::find(s_->methods.begin(), s_->methods.end(), method) == s_->methods.end())
    s_->methods.push_back(method);
  s_->attacks[method][key] = std::move(at);
  return Ok{};
}

std::vector<cv::Rect> PrivacyEvaluator::faces(const std::string& key) const {
  const auto it = s_->originals.find(key);
  return it == s_->originals.end() ? std::vector<cv::Rect>{} : it->second.faces;
}
std::vector<cv::Rect> PrivacyEvaluator::persons(const std::string& key) const {
  const auto it = s_->originals.find(key);
  return it == s_->originals.end() ? std::vector<cv::Rect>{} : it->second.persons;
}

PrivacyReport PrivacyEvaluator::report() const {
  PrivacyReport r;
  r.inputs = int(s_->order.size());
  // The galleries: every original face (described) and person of the run.
  std::vector<std::pair<std::string, size_t>> face_ids, person_ids;
  std::vector<const std::vector<float>*> face_gallery, reid_gallery, colour_gallery;
  std::vector<double> males, ages;
  for (const std::string& key : s_->order) {
    const State::Original& o = s_->originals.at(key);
    r.faces += int(o.faces.size());
    r.persons += int(o.persons.size());
    for (size_t k = 0; k < o.faces.size(); ++k)
      if (o.described[k]) {
        face_ids.emplace_back(key, k);
        face_gallery.push_back(&o.described[k]->descriptor);
        males.push_back(o.described[k]->male > 0.5 ? 1 : 0);
        ages.push_back(o.described[k]->age);
      }
    for (size_t k = 0; k < o.persons.size(); ++k) {
      person_ids.emplace_back(key, k);
      reid_gallery.push_back(&o.reid[k]);
      colour_gallery.push_back(&o.colour[k]);
    }
  }
  const bool have_faces = !face_gallery.empty(), have_persons = !person_ids.empty();
  const bool have_reid = s_->a.reid != nullptr;
  if (have_faces) {
    r.chance["face_rank1"] = 1.0 / double(face_gallery.size());
    const double p = *mean_of(males);
    r.chance["gender_agreement"] = p * p + (1 - p) * (1 - p);
    // How often two different people pass the verification threshold: the false-accept rate a
    // verification figure must be read against.
    std::vector<double> impostors;
    for (size_t i = 0; i < face_gallery.size(); ++i)
      for (size_t k = i + 1; k < face_gallery.size(); ++k)
        impostors.push_back(face_similarity(*face_gallery[i], *face_gallery[k]) >=
                            kFaceMatchSimilarity);
    r.chance["face_verification"] = mean_of(impostors);
    const double mean_age = *mean_of(ages);
    std::vector<double> dev;
    for (double a : ages) dev.push_back(std::abs(a - mean_age));
    r.chance["age_mae"] = mean_of(dev);
  }
  if (have_persons) {
    r.chance["reid_rank1"] =
        have_reid ? std::optional<double>(1.0 / person_ids.size()) : std::nullopt;
    r.chance["reid_rank1_colour"] = 1.0 / double(person_ids.size());
  }
  if (!s_->a.face_describer)
    r.notes.push_back("face identity and attributes not measured: no face description model");
  else if (!have_faces)
    r.notes.push_back(
        "face identity and attributes not measured: no face was found on the originals");
  if (!have_reid)
    r.notes.push_back("reid_rank1 not measured: no re-identification model (--reid-model)");
  if (!have_persons) r.notes.push_back("no person was found on the originals");
  if (r.faces == 0)
    r.notes.push_back("face_redetection not measured: no face was found on the originals");

  for (const std::string& method : s_->methods) {
    const auto& by_key = s_->attacks.at(method);
    int faces_found = 0, persons_found = 0, faces = 0, persons = 0;
    std::vector<double> cos, rank1, verified, gender, age_err, reid1, colour1, ssim, psnr;
    size_t face_index = 0, person_index = 0;
    for (const std::string& key : s_->order) {
      const State::Original& o = s_->originals.at(key);
      const auto at = by_key.find(key);
      if (at == by_key.end()) {  // this method was not run on this input
        face_index += std::count_if(o.described.begin(), o.described.end(),
                                    [](const auto& d) { return d.has_value(); });
        person_index += o.persons.size();
        continue;
      }
      const State::Attack& a = at->second;
      faces += int(o.faces.size());
      persons += int(o.persons.size());
      faces_found += a.faces_found;
      persons_found += a.persons_found;
      for (size_t k = 0; k < o.faces.size(); ++k) {
        if (!o.described[k]) continue;
        const size_t own = face_index++;
        if (!a.described[k]) continue;
        const auto& orig = *o.described[k];
        const auto& anon = *a.described[k];
        cos.push_back(cosine_similarity(orig.descriptor, anon.descriptor));
        rank1.push_back(nearest(anon.descriptor, face_gallery) == own ? 1 : 0);
        verified.push_back(face_similarity(orig.descriptor, anon.descriptor) >=
                           kFaceMatchSimilarity);
        gender.push_back((orig.male > 0.5) == (anon.male > 0.5) ? 1 : 0);
        age_err.push_back(std::abs(orig.age - anon.age));
      }
      for (size_t k = 0; k < o.persons.size(); ++k) {
        const size_t own = person_index++;
        // A video frame's people are looked for in the video's other frames, where the same
        // person appears elsewhere: the target is the other-frame original nearest to this
        // person's own original (the attacker's best answer without anonymization).
        const bool video = !s_->group.at(key).empty();
        auto hit =
            [&](const std::vector<float>& probe,
                const std::vector<const std::vector<float>*>& gallery) -> std::optional<double> {
          if (probe.empty()) return std::nullopt;
          if (!video) return nearest(probe, gallery) == own ? 1.0 : 0.0;
          std::vector<const std::vector<float>*> others;
          for (size_t g = 0; g < gallery.size(); ++g)
            if (person_ids[g].first != key &&
                s_->group.at(person_ids[g].first) == s_->group.at(key))
              others.push_back(gallery[g]);
          if (others.empty()) return std::nullopt;
          return nearest(probe, others) == nearest(*gallery[own], others) ? 1.0 : 0.0;
        };
        if (have_reid)
          if (auto h = hit(a.reid[k], reid_gallery)) reid1.push_back(*h);
        if (auto h = hit(a.colour[k], colour_gallery)) colour1.push_back(*h);
      }
      if (a.pixels) {
        ssim.push_back(a.pixels->ssim);
        psnr.push_back(a.pixels->psnr);
      }
    }
    std::map<std::string, std::optional<double>> m;
    m["face_redetection"] =
        faces ? std::optional<double>(double(faces_found) / faces) : std::nullopt;
    m["person_redetection"] =
        persons ? std::optional<double>(double(persons_found) / persons) : std::nullopt;
    m["face_similarity"] = mean_of(cos);
    m["face_rank1"] = mean_of(rank1);
    m["face_verification"] = mean_of(verified);
    m["gender_agreement"] = mean_of(gender);
    m["age_mae"] = mean_of(age_err);
    m["reid_rank1"] = mean_of(reid1);
    m["reid_rank1_colour"] = mean_of(colour1);
    m["ssim"] = mean_of(ssim);
    m["psnr"] = mean_of(psnr);
    r.methods.emplace_back(method, std::move(m));
  }
  return r;
}

nlohmann::ordered_json PrivacyReport::to_json() const {
  using json = nlohmann::ordered_json;
  auto value = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j{{"inputs", inputs}, {"faces", faces}, {"persons", persons}};
  json c = json::object();
  for (const char* k : {"face_rank1", "face_verification", "gender_agreement", "age_mae",
                        "reid_rank1", "reid_rank1_colour"}) {
    const auto it = chance.find(k);
    c[k] = it == chance.end() ? json(nullptr) : value(it->second);
  }
  j["chance"] = c;
  json ms = json::object();
  for (const auto& [method, metrics] : methods) {
    json mj = json::object();
    for (const std::string& name : privacy_metric_names()) {
      const auto it = metrics.find(name);
      mj[name] = it == metrics.end() ? json(nullptr) : value(it->second);
    }
    ms[method] = mj;
  }
  j["methods"] = ms;
  j["notes"] = notes;
  return j;
}

}  // namespace la3d
