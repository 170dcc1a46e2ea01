#include "test_util.hpp"

#include "la3d/models/models.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <random>
#include <sstream>

namespace la3d::test {

cv::Mat textured_frame(cv::Size size, unsigned seed) {
  cv::Mat f(size, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(f, cv::RNG::UNIFORM, 0, 256);
  cv::Mat grad(size, CV_8UC3);
  for (int y = 0; y < size.height; ++y)
    for (int x = 0; x < size.width; ++x)
      grad.at<cv::Vec3b>(y, x) =
          cv::Vec3b(uchar(x * 255 / std::max(1, size.width - 1)),
                    uchar(y * 255 / std::max(1, size.height - 1)), uchar((x + y) % 256));
  cv::addWeighted(f, 0.5, grad, 0.5, 0, f);
  // A few solid shapes give Canny strong edges to follow.
  cv::rectangle(f, {size.width / 4, size.height / 4, size.width / 3, size.height / 3},
                {250, 250, 250}, cv::FILLED);
  cv::circle(f, {size.width * 2 / 3, size.height / 2}, std::max(1, size.height / 5), {10, 10, 10},
             cv::FILLED);
  return f;
}

Instance instance_from_full_mask(const cv::Mat1b& full) {
  int x0 = full.cols, y0 = full.rows, x1 = -1, y1 = -1, area = 0;
  for (int y = 0; y < full.rows; ++y)
    for (int x = 0; x < full.cols; ++x)
      if (full(y, x)) {
        x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
        ++area;
      }
  Instance inst;
  inst.box = cv::Rect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
  inst.mask = full(inst.box).clone();
  inst.area = area;
  return inst;
}

TempDir::TempDir() {
  static int counter = 0;
  path_ = fs::temp_directory_path() /
          ("la3d-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Tests never open windows: without a display, -v must fail cleanly rather than abort.
CommandResult la3d(const std::string& args) {
  return run("env -u DISPLAY -u WAYLAND_DISPLAY " + std::string(LA3D_BINARY) + " " + args +
             " --quiet");
}

std::string quote(const fs::path& p) {
  std::string q(1, '\'');
  q += p.string();
  q += '\'';
  return q;
}

cv::Mat read_npy(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  if (!in.read(magic, 8) || std::string(magic, 6) != "\x93NUMPY") return {};
  uint16_t header_len = 0;
  if (magic[6] == 1) {
    in.read(reinterpret_cast<char*>(&header_len), 2);
  } else {
    uint32_t l4 = 0;
    in.read(reinterpret_cast<char*>(&l4), 4);
    header_len = uint16_t(l4);
  }
  std::string header(header_len, ' ');
  in.read(header.data(), header_len);
  if (header.find("'<f4'") == std::string::npos ||
      header.find("'fortran_order': False") == std::string::npos)
    return {};
  const auto open = header.find('(', header.find("'shape'")), close = header.find(')', open);
  std::vector<int> shape;
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  for (std::string d; std::getline(dims, d, ',');)
    if (d.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoi(d));
  cv::Mat m(int(shape.size()), shape.data(), CV_32F);
  in.read(reinterpret_cast<char*>(m.data), std::streamsize(m.total() * 4));
  return in ? m : cv::Mat();
}

std::vector<std::string> files_below(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string attackers_missing() {
  if (auto m = installed_model(default_cache_dir(), "faceres"); !m)
    return "models not installed: " + m.error().message;
  if (!fs::exists(kMessi)) return "opencv-doc not installed";
  return "";
}

int free_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

void write_person_boxes(const fs::path& path, int frames, cv::Size size, cv::Rect box) {
  std::ofstream f(path);
  for (int i = 0; i < frames; ++i)
    f << "{\"frame\": " << i << ", \"width\": " << size.width << ", \"height\": " << size.height
      << ", \"objects\": [{\"class\": \"person\", \"score\": 0.9, \"box\": [" << box.x << ", "
      << box.y << ", " << box.br().x - 1 << ", " << box.br().y - 1 << "]}]}\n";
}

bool write_lossless_clip(const fs::path& path, int frames, cv::Size size, double fps,
                         const std::function<cv::Mat(int)>& frame) {
  cv::VideoWriter w(path.string(), cv::VideoWriter::fourcc('F', 'F', 'V', '1'), fps, size);
  if (!w.isOpened()) return false;
  for (int i = 0; i < frames; ++i) w.write(frame(i));
  return true;
}

}  // namespace la3d::test
