#pragma once
// Privacy measured by attackers: how many faces and people an anonymized image still lets a
// detector find, a face recogniser identify, an attribute model describe and a body
// re-identifier match, compared with the original (la3d privacy).
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"
#include "la3d/detect/detector.hpp"
#include "la3d/engine/pipeline.hpp"

namespace la3d {

// --- Face description (FaceRes)
// -------------------------------------------------------------------

struct FaceDescription {
  std::vector<float> descriptor;  // 1024-d identity descriptor
  float male = 0;                 // probability the face looks male (FaceRes' sigmoid)
  float age = 0;                  // years, from the 100-bin age distribution
};

class FaceDescriber {
 public:
  virtual ~FaceDescriber() = default;
  // `face` is a BGR crop of one face (any size; it is resized to the model's input).
  virtual Result<FaceDescription> describe(const cv::Mat& face) = 0;
};

// FaceRes from `la3d models install` (HSE FaceRes as in Human): RGB 0..255 at 224x224.
Result<std::unique_ptr<FaceDescriber>> make_faceres_describer(const std::string& onnx_path);

// Human's similarity of two descriptors (order 2, multiplier 25, normalised from 0.2..0.8 and
// clamped to 0..1); above kFaceMatchSimilarity the two faces are taken as one person.
double face_similarity(const std::vector<float>& a, const std::vector<float>& b);
inline constexpr double kFaceMatchSimilarity = 0.5;
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);
// The square crop a face describer sees around a face box: the box grown by a fifth of its size
// on each side and squared about its centre, clipped to the image.
cv::Rect face_crop_box(const cv::Rect& face, cv::Size image);

// --- Body embedding (re-identification) ----------------------------------------------------------

class BodyEmbedder {
 public:
  virtual ~BodyEmbedder() = default;
  virtual std::string name() const = 0;
  // `person` is a BGR crop of one person; the result is compared by cosine similarity.
  virtual Result<std::vector<float>> embed(const cv::Mat& person) = 0;
};

// A training-free baseline: HSV histograms (8 hue x 4 saturation x 4 value bins) of six
// horizontal stripes of the person at 256x128, each normalised: clothes colours by height.
std::unique_ptr<BodyEmbedder> make_colour_histogram_embedder();
// A re-identification network (e.g. OSNet exported from deep-person-reid): input 1x3x256x128,
// RGB, ImageNet mean/std, as that library feeds it; the output is the embedding.
Result<std::unique_ptr<BodyEmbedder>> make_onnx_reid_embedder(const std::string& onnx_path);

// --- What survives in pixels
// ----------------------------------------------------------------------

// Mean SSIM (Wang et al.: 11x11 Gaussian window, sigma 1.5, on luma) and PSNR (all three
// channels; identical pixels count as 100 dB) over the pixels where `mask` is set. No pixel set:
// nullopt; images of other sizes or types than BGR: an error.
struct PixelSimilarity {
  double ssim = 0, psnr = 0;
};
Result<std::optional<PixelSimilarity>> masked_similarity(const cv::Mat& original,
                                                         const cv::Mat& anonymized,
                                                         const cv::Mat1b& mask);

// --- The evaluation
// -------------------------------------------------------------------------------

struct PrivacyAttackers {
  std::unique_ptr<Detector> face_finder;          // BlazeFace (required)
  std::unique_ptr<Detector> person_finder;        // CenterNet (required)
  std::unique_ptr<FaceDescriber> face_describer;  // null: identity and attributes not measured
  std::unique_ptr<BodyEmbedder> reid;             // null: reid_rank1 not measured
  std::unique_ptr<BodyEmbedder> colour = make_colour_histogram_embedder();
  double match_iou = 0.5;  // a re-detection counts when it overlaps an original this much
};

// Metric names in the order the table and JSON list them.
const std::vector<std::string>& privacy_metric_names();

struct PrivacyReport {
  int inputs = 0, faces = 0, persons = 0;
  std::map<std::string, std::optional<double>> chance;
  // method -> metric -> value (nullopt: could not be measured; `notes` says why).
  std::vector<std::pair<std::string, std::map<std::string, std::optional<double>>>> methods;
  std::vector<std::string> notes;
  nlohmann::ordered_json to_json() const;
};

class PrivacyEvaluator {
 public:
  explicit PrivacyEvaluator(PrivacyAttackers attackers);
  ~PrivacyEvaluator();
  // One original image: the attackers find its faces (on the whole image and inside each person
  // box, where a small face is seen larger) and people, and describe them.
  // With `truth` (boxes of class person and face, e.g. hand-checked), those are the people and
  // faces instead of what the attackers find on the original.
  // `group` names the video a frame comes from: its people are then re-identified against the
  // video's other frames (the same person elsewhere), not against their own frame.
  Status add_original(const std::string& key, const cv::Mat& original,
                      const std::vector<Detection>* truth = nullptr, const std::string& group = "");
  // The same image after `method`; `hidden` marks the pixels the method was to change (the
  // masks), where SSIM and PSNR are measured.
  Status add_anonymized(const std::string& key, const std::string& method, const cv::Mat& original,
                        const cv::Mat& anonymized, const cv::Mat1b& hidden);
  // The faces and people found on an original, for reports and tests.
  std::vector<cv::Rect> faces(const std::string& key) const;
  std::vector<cv::Rect> persons(const std::string& key) const;
  PrivacyReport report() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// --- The report page -----------------------------------------------------------------------------

// One face or person as each method left it: `versions` starts with ("original", crop).
struct ReportCrop {
  std::string label;
  std::vector<std::pair<std::string, cv::Mat>> versions;
};
// Writes DIR/index.html (the table with chance levels, a bar chart per metric, the crops side by
// side) and DIR/crops/*.png. Self-contained: no script, no network.
Status write_privacy_report(const PrivacyReport& report, const std::vector<ReportCrop>& crops,
                            const std::filesystem::path& dir);

// --- A run ---------------------------------------------------------------------------------------

struct AttackerOptions {
  float face_threshold = 0.5f;    // BlazeFace score an attacker accepts
  float person_threshold = 0.4f;  // CenterNet score an attacker accepts
  std::string reid_model;         // optional ONNX body re-identification model
};
// BlazeFace, CenterNet and FaceRes from the model cache (la3d models install), and the ReID model
// when one is given.
Result<PrivacyAttackers> embedded_attackers(const std::filesystem::path& cache_dir,
                                            const AttackerOptions& options);

struct PrivacyPicture {
  std::string key;  // the file, with "#frame" for a video frame
  cv::Mat image;
  long long frame = 0;  // the frame's number in its video; 0 for an image
  std::string video;    // the video it comes from; empty for an image
};
// Image files, folders (their images and videos, recursively) and videos, in order; an error
// names a missing input.
Result<std::vector<std::filesystem::path>> privacy_inputs(const std::vector<std::string>& inputs);
// An image, or every `every`-th frame of a video.
Result<std::vector<PrivacyPicture>> privacy_pictures(const std::filesystem::path& file, int every);

// Detects once on `picture` (resized as the pipeline's options say), anonymizes it with each
// method from that detection, and adds the original and every output to `eval`. Returns the
// outputs, by method name, for reports.
Result<std::vector<std::pair<std::string, cv::Mat>>> evaluate_picture(
    PrivacyEvaluator& eval, FramePipeline& pipeline, const PipelineOptions& options,
    const PrivacyPicture& picture, const std::vector<Method>& methods,
    const std::vector<Detection>* truth = nullptr);

// An anonymization made elsewhere: the original (resized to the anonymized image's size when they
// differ) and its anonymized version are added to `eval` under `label`; SSIM and PSNR are measured
// inside the people the attackers find on the original, since the masks are not known.
Status evaluate_pair(PrivacyEvaluator& eval, const std::string& key, const cv::Mat& original,
                     const cv::Mat& anonymized, const std::string& label,
                     const std::string& group = "");
// Where an input's anonymized version made elsewhere is: `anonymized` itself for a single input
// file, else inside the folder `anonymized` under the input's name, or as NAME_anonymized.EXT.
Result<std::filesystem::path> anonymized_counterpart(const std::filesystem::path& input,
                                                     const std::filesystem::path& anonymized,
                                                     bool single_input);

}  // namespace la3d
