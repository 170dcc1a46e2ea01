#include "vad/zip_archive.hpp"

#include <cstring>

namespace la3d {
namespace {

// Whether `n` bytes at `at` lie inside `b`, for any 64-bit `at` and `n` a file may claim: written
// so that no sum can wrap around (offset + size of a crafted zip64 record would).
bool fits(std::string_view b, uint64_t at, uint64_t n) {
  return at <= b.size() && n <= b.size() - at;
}

uint64_t le(std::string_view b, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(b[at + size_t(i)]);
  return v;
}

// ZIP64 extra field (id 1): the 64-bit values replace those of the fixed header that are all ones,
// in the order size, compressed size, local header offset.
void apply_zip64(std::string_view extra, uint64_t& size, uint64_t& csize, uint64_t& offset) {
  for (size_t p = 0; p + 4 <= extra.size();) {
    const uint64_t id = le(extra, p, 2), len = le(extra, p + 2, 2);
    if (p + 4 + len > extra.size()) return;
    if (id == 1) {
      size_t q = p + 4;
      for (uint64_t* v : {&size, &csize, &offset})
        if (*v == 0xFFFFFFFFu && q + 8 <= p + 4 + len) {
          *v = le(extra, q, 8);
          q += 8;
        }
    }
    p += 4 + len;
  }
}

}  // namespace

bool looks_like_zip(std::string_view b) {
  return b.size() >= 4 && b.substr(0, 4) == "PK\x03\x04";
}

Result<std::map<std::string, ZipEntry>> list_zip(std::string_view b) {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  if (b.size() < 22) return make_error("not a zip archive (too short)");
  size_t eocd = std::string_view::npos;
  const size_t lowest = b.size() > 65557 ? b.size() - 65557 : 0;
  for (size_t p = b.size() - 22 + 1; p-- > lowest;)
    if (le(b, p, 4) == 0x06054b50) {
      eocd = p;
      break;
    }
  if (eocd == std::string_view::npos) return make_error("zip central directory not found");
  uint64_t count = le(b, eocd + 10, 2), cd = le(b, eocd + 16, 4);
  if (cd == 0xFFFFFFFFu || count == 0xFFFF) {
    // ZIP64: its locator sits just before the classic record.
    if (eocd < 20 || le(b, eocd - 20, 4) != 0x07064b50) return make_error("zip64 locator missing");
    const uint64_t rec = le(b, eocd - 12, 8);
    if (!fits(b, rec, 56) || le(b, rec, 4) != 0x06064b50) return make_error("bad zip64 record");
    count = le(b, rec + 32, 8);
    cd = le(b, rec + 48, 8);
  }
  std::map<std::string, ZipEntry> out;
  uint64_t p = cd;
  for (uint64_t i = 0; i < count; ++i) {
    if (!fits(b, p, 46) || le(b, p, 4) != 0x02014b50) return make_error("bad zip directory entry");
    const uint64_t method = le(b, p + 10, 2), flags = le(b, p + 8, 2);
    uint64_t csize = le(b, p + 20, 4), size = le(b, p + 24, 4), local = le(b, p + 42, 4);
    const size_t name_len = le(b, p + 28, 2), extra_len = le(b, p + 30, 2),
                 comment_len = le(b, p + 32, 2);
    if (!fits(b, p, 46 + name_len + extra_len)) return make_error("truncated zip directory");
    std::string name(b.substr(p + 46, name_len));
    apply_zip64(b.substr(p + 46 + name_len, extra_len), size, csize, local);
    if (method != 0 || (flags & 1))
      return make_error("zip record '" + name + "' is compressed or encrypted");
    if (!fits(b, local, 30) || le(b, local, 4) != 0x04034b50)
      return make_error("bad zip local header for '" + name + "'");
    // The local header has its own extra field (torch pads it to align the data).
    const uint64_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
    if (!fits(b, data, size)) return make_error("zip record '" + name + "' is truncated");
    out[name] = {data, size};
    p += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

}  // namespace la3d
