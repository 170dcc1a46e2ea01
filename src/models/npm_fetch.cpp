// See npm_fetch.hpp.
#include "npm_fetch.hpp"

#include <openssl/evp.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>

namespace la3d {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a command, capturing its output; an error carries its last line.
Status run_command(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return make_error("cannot run: " + cmd);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok{};
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  const auto nl = out.rfind('\n');
  return make_error("'" + cmd.substr(0, cmd.find(' ')) +
                    "' failed: " + (nl == std::string::npos ? out : out.substr(nl + 1)));
}

Result<std::string> sha256_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error("cannot read " + p.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0)
    EVP_DigestUpdate(ctx, buf.data(), size_t(in.gcount()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int k = 0; k < len; ++k) out += {hex[md[k] >> 4], hex[md[k] & 15]};
  return out;
}

Result<fs::path> npm_pack(const std::string& spec, const std::string& tgz_name,
                          const fs::path& cache) {
  const fs::path npm_dir = cache / "npm";
  const fs::path tgz = npm_dir / tgz_name;
  if (fs::exists(tgz)) return tgz;
  std::error_code ec;
  fs::create_directories(npm_dir, ec);
  if (ec) return make_error("cannot create " + npm_dir.string());
  // npm checks the tarball against the registry's integrity hash while it downloads.
  if (Status s = run_command("npm pack --silent " + spec + " --pack-destination " +
                             shell_quote(npm_dir.string()));
      !s)
    return make_error("cannot fetch " + spec + " from npm: " + s.error().message);
  if (!fs::exists(tgz)) return make_error("npm pack did not leave " + tgz.string());
  return tgz;
}

}  // namespace la3d
