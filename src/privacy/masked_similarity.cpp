// What survives of the original in the hidden pixels: SSIM and PSNR restricted to a mask.
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "la3d/privacy/privacy.hpp"

namespace la3d {

Result<std::optional<PixelSimilarity>> masked_similarity(const cv::Mat& original,
                                                         const cv::Mat& anonymized,
                                                         const cv::Mat1b& mask) {
  if (original.size() != anonymized.size() || original.size() != mask.size() ||
      original.type() != CV_8UC3 || anonymized.type() != CV_8UC3)
    return make_error("SSIM/PSNR need two BGR images and a mask of one size");
  if (cv::countNonZero(mask) == 0) return std::optional<PixelSimilarity>();
  PixelSimilarity out;
  // PSNR over the masked pixels, all channels; identical pixels have no finite PSNR, reported
  // as 100 dB (as common tools cap it).
  cv::Mat diff;
  cv::absdiff(original, anonymized, diff);
  diff.convertTo(diff, CV_32F);
  diff = diff.mul(diff);
  const double mse = cv::sum(cv::mean(diff, mask))[0] / 3.0;
  out.psnr = mse <= 1e-10 ? 100.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
  // SSIM on luma, the map averaged over the masked pixels.
  cv::Mat a, b;
  cv::cvtColor(original, a, cv::COLOR_BGR2GRAY);
  cv::cvtColor(anonymized, b, cv::COLOR_BGR2GRAY);
  a.convertTo(a, CV_32F);
  b.convertTo(b, CV_32F);
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  auto blur = [](const cv::Mat& m) {
    cv::Mat r;
    cv::GaussianBlur(m, r, {11, 11}, 1.5);
    return r;
  };
  const cv::Mat mu_a = blur(a), mu_b = blur(b);
  const cv::Mat mu_aa = mu_a.mul(mu_a), mu_bb = mu_b.mul(mu_b), mu_ab = mu_a.mul(mu_b);
  const cv::Mat s_aa = blur(a.mul(a)) - mu_aa, s_bb = blur(b.mul(b)) - mu_bb,
                s_ab = blur(a.mul(b)) - mu_ab;
  cv::Mat num = (2 * mu_ab + c1).mul(2 * s_ab + c2);
  cv::Mat den = (mu_aa + mu_bb + c1).mul(s_aa + s_bb + c2);
  cv::Mat ssim;
  cv::divide(num, den, ssim);
  out.ssim = cv::mean(ssim, mask)[0];
  return std::optional<PixelSimilarity>(out);
}

}  // namespace la3d
