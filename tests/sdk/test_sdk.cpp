// The installed SDK: `cmake --install` into a temporary prefix, then programs built against it the
// two ways a user would (find_package and pkg-config), run, and compared with the CLI.
#include <gtest/gtest.h>

#include <fstream>

#include "la3d/io/io.hpp"
#include "test_util.hpp"

namespace la3d::test {
namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A program linking this build's la3d libraries is compiled as this build was (the sanitizer
// build's instrumented library needs an instrumented program); empty in a normal build.
const std::string kFlags = LA3D_CXX_FLAGS;
const std::string kLinkFlags = LA3D_EXE_LINKER_FLAGS;

TEST(Sdk, ExampleBuildsAgainstAnInstallAndMatchesTheCli) {
  TempDir d;
  const fs::path prefix = d / "prefix";
  auto r = run("cmake --install " + quote(LA3D_BUILD_DIR) + " --prefix " + quote(prefix));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* f : {"include/la3d/engine/engine.hpp", "lib/cmake/la3d/la3dConfig.cmake",
                        "lib/cmake/la3d/la3dConfigVersion.cmake", "lib/pkgconfig/la3d.pc"})
    EXPECT_TRUE(fs::exists(prefix / f)) << f;

  // find_package(la3d): the example project, configured out of tree.
  const fs::path build = d / "example";
  r = run("cmake -S " + quote(fs::path(LA3D_SOURCE_DIR) / "examples" / "cpp") + " -B " +
          quote(build) + " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + quote(prefix) +
          " -DCMAKE_CXX_FLAGS=" + quote(kFlags) + " -DCMAKE_EXE_LINKER_FLAGS=" + quote(kLinkFlags) +
          " && cmake --build " + quote(build));
  ASSERT_EQ(r.exit_code, 0) << r.out;

  // A detections file with two people, in the image's own size.
  const fs::path photo = d / "in.png";
  ASSERT_TRUE(write_image(photo, textured_frame({160, 120}, 7)));
  {
    std::ofstream f(d / "det.jsonl");
    f << R"({"frame": 0, "width": 160, "height": 120, "objects": [)"
      << R"({"class": "person", "score": 0.9, "box": [10, 10, 59, 99]},)"
      << R"({"class": "person", "score": 0.8, "box": [90, 30, 139, 109]}]})"
      << "\n";
  }
  for (const std::string method : {"mask", "pixelization", "adaptive_blur", "edge"}) {
    const fs::path a = d / (method + "_example.png"), b = d / (method + "_cli.png");
    r = run(quote(build / "anonymize_image") + " " + quote(photo) + " " + quote(a) + " " + method +
            " " + quote(d / "det.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("2 hidden"), std::string::npos) << r.out;
    r = run(quote(prefix / "bin" / "la3d") + " anonymize " + quote(photo) + " -o " + quote(b) +
            " --method " + method + " --detections " + quote(d / "det.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const std::string ex = bytes_of(a), cli = bytes_of(b);
    ASSERT_FALSE(ex.empty());
    EXPECT_TRUE(ex == cli) << method << ": the example's output differs from la3d anonymize's";
    EXPECT_NE(ex, bytes_of(photo)) << method << ": nothing was hidden";
  }
  // hide_boxes links two modules (la3d::anonymize, la3d::io) and gets exactly those and core:
  // none of the detector, model, VAD or engine libraries.
  r = run("readelf -d " + quote(build / "hide_boxes"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* lib : {"libla3d_anonymize.so", "libla3d_io.so"})
    EXPECT_NE(r.out.find(lib), std::string::npos) << lib << " missing:\n" << r.out;
  for (const char* lib : {"libla3d_detect", "libla3d_models", "libla3d_vad", "libla3d_engine",
                          "libla3d_privacy", "libtorch", "libonnx"})
    EXPECT_EQ(r.out.find(lib), std::string::npos) << lib << " linked:\n" << r.out;
  r = run("ldd " + quote(build / "hide_boxes"));
  EXPECT_EQ(r.out.find("libla3d_detect"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("libla3d_core"), std::string::npos) << r.out;
  for (const std::string method : {"blur", "adaptive_max_pixelization"}) {
    const fs::path a = d / (method + "_boxes.png"), b = d / (method + "_cli.png");
    r = run(quote(build / "hide_boxes") + " " + quote(photo) + " " + quote(a) + " " + method +
            " 10,10,59,99 90,30,139,109");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("2 hidden"), std::string::npos) << r.out;
    r = run(quote(prefix / "bin" / "la3d") + " anonymize " + quote(photo) + " -o " + quote(b) +
            " --method " + method + " --detections " + quote(d / "det.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const std::string boxes = bytes_of(a);
    ASSERT_FALSE(boxes.empty());
    EXPECT_TRUE(boxes == bytes_of(b)) << method << ": hide_boxes differs from la3d anonymize";
  }

  // Each module is a component: a missing one fails find_package.
  {
    fs::create_directories(d / "missing");
    std::ofstream f(d / "missing" / "CMakeLists.txt");
    f << "cmake_minimum_required(VERSION 3.25)\nproject(m LANGUAGES CXX)\n"
         "find_package(la3d CONFIG REQUIRED COMPONENTS anonymize nosuchmodule)\n";
  }
  r = run("cmake -S " + quote(d / "missing") + " -B " + quote(d / "missing" / "b") +
          " -DCMAKE_PREFIX_PATH=" + quote(prefix));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("nosuchmodule"), std::string::npos) << r.out;

  // The example fails closed on a bad method, writing nothing.
  r = run(quote(build / "anonymize_image") + " " + quote(photo) + " " + quote(d / "x.png") +
          " nonsense");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(fs::exists(d / "x.png"));

  // pkg-config: a one-file program compiled and linked with its flags alone.
  {
    std::ofstream f(d / "pc.cpp");
    f << "#include \"la3d/anonymize/anonymizer.hpp\"\n#include \"la3d/version.hpp\"\n#include "
         "<iostream>\n"
         "int main() { auto m = la3d::parse_method(\"adaptive_max_pixelization\");\n"
         "  std::cout << LA3D_VERSION << ' ' << la3d::method_name(m.value()) << '\\n'; }\n";
  }
  r = run("PKG_CONFIG_PATH=" + quote(prefix / "lib" / "pkgconfig") + " sh -c " +
          quote("g++ " + kFlags + " " + kLinkFlags + " " + quote(d / "pc.cpp") + " -o " +
                quote(d / "pc") + " $(pkg-config --cflags --libs la3d)") +
          " && " + quote(d / "pc"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("adaptive_max_pixelization"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace la3d::test
