#include "la3d/vad/npy.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "la3d/io/io.hpp"
#include "vad/half_float.hpp"

namespace la3d {

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// The value after `'key':` in the header dict, up to its end (a quoted string or a tuple), or
// empty. The header is a Python dict literal written by numpy; a hand-written scan instead of
// std::regex, whose recursive matcher can exhaust the stack on a long crafted header.
std::string_view header_value(std::string_view header, std::string_view key) {
  std::string quoted(1, '\'');  // piecewise: g++ 12 warns falsely (-Wrestrict) on "'" + string
  quoted += key;
  quoted += '\'';
  size_t p = header.find(quoted);
  if (p == std::string_view::npos) return {};
  p = header.find(':', p + quoted.size());
  if (p == std::string_view::npos) return {};
  p = header.find_first_not_of(" ", p + 1);
  if (p == std::string_view::npos) return {};
  const char open = header[p];
  const char close = open == '\'' ? '\'' : open == '(' ? ')' : ',';
  const size_t end = header.find(close, p + 1);
  if (end == std::string_view::npos) return {};
  return header.substr(p, end - p + 1);
}

// Larger than any feature or score array (UCF-Crime's whole test set of I3D features is ~30M).
constexpr int64_t kMaxElements = int64_t(1) << 31;

}  // namespace

Result<NpyArray> read_npy(const std::filesystem::path& path) {
  auto read = read_file(path);
  if (!read) return read.error();
  return parse_npy(read.value(), path.string());
}

Result<NpyArray> parse_npy(std::string_view b, const std::string& name) {
  if (b.size() < 10 || b.substr(0, 6) != "\x93NUMPY")
    return make_error(name + " is not a .npy file");
  size_t header_len, start;
  if (b[6] == 1) {
    header_len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8;
    start = 10;
  } else {
    if (b.size() < 12) return make_error(name + " is truncated");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | uint8_t(b[8 + size_t(i)]);
    start = 12;
  }
  if (header_len > b.size() - start) return make_error(name + " is truncated");
  const std::string_view header = b.substr(start, header_len);
  // 'descr': '<f4' -> byte order, kind, width.
  const std::string_view descr = header_value(header, "descr");
  if (descr.size() < 5 || descr.size() > 6 || descr.front() != '\'' ||
      std::string_view("<>|=").find(descr[1]) == std::string_view::npos ||
      descr.find_first_not_of("0123456789", 3) != descr.size() - 1)
    return make_error(name + ": no dtype in the header");
  const char order = descr[1], kind = descr[2];
  const int width = std::stoi(std::string(descr.substr(3, descr.size() - 4)));
  if (order == '>' && width > 1) return make_error(name + ": big-endian arrays are not supported");
  const bool known = (kind == 'f' && (width == 2 || width == 4 || width == 8)) ||
                     (kind == 'i' && (width == 4 || width == 8));
  if (!known) return make_error(name + ": dtype " + std::string(descr) + " is not float or int");
  const bool fortran = header_value(header, "fortran_order").starts_with("True");
  const std::string_view shape = header_value(header, "shape");
  if (shape.size() < 2 || shape.front() != '(')
    return make_error(name + ": no shape in the header");
  NpyArray a;
  int64_t n = 1;
  std::string dims(shape.substr(1, shape.size() - 2));
  std::stringstream ss(dims);
  for (std::string d; std::getline(ss, d, ',');) {
    const size_t first = d.find_first_not_of(' '), last = d.find_last_not_of(' ');
    if (first == std::string::npos) continue;  // the empty item after a trailing comma
    const std::string digits = d.substr(first, last - first + 1);
    if (digits.empty() || digits.size() > 12 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      return make_error(name + ": shape entry '" + digits + "' is not a size");
    a.shape.push_back(std::stoll(digits));
    if (__builtin_mul_overflow(n, a.shape.back(), &n) || n > kMaxElements)
      return make_error(name + ": array has more than 2^31 elements");
  }
  if (uint64_t(n) > (b.size() - start - header_len) / uint64_t(width))
    return make_error(name + ": data shorter than its shape");
  const char* p = b.data() + start + header_len;
  a.data.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i, p += width) {
    float v;
    if (kind == 'f' && width == 4) {
      std::memcpy(&v, p, 4);
    } else if (kind == 'f' && width == 8) {
      double d;
      std::memcpy(&d, p, 8);
      v = float(d);
    } else if (kind == 'f') {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = half_to_float(h);
    } else if (width == 8) {
      int64_t x;
      std::memcpy(&x, p, 8);
      v = float(x);
    } else {
      int32_t x;
      std::memcpy(&x, p, 4);
      v = float(x);
    }
    if (!std::isfinite(v))
      return make_error(name + ": value " + std::to_string(i) + " is not finite (NaN or infinity)");
    a.data[size_t(i)] = v;
  }
  if (fortran && a.shape.size() > 1) {
    // Fortran order: the first index varies fastest. Reorder into C order.
    std::vector<float> c(a.data.size());
    std::vector<int64_t> idx(a.shape.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t f = 0, stride = 1;
      for (size_t d = 0; d < idx.size(); ++d) {
        f += idx[d] * stride;
        stride *= a.shape[d];
      }
      c[size_t(i)] = a.data[size_t(f)];
      for (size_t d = idx.size(); d-- > 0;) {
        if (++idx[d] < a.shape[d]) break;
        idx[d] = 0;
      }
    }
    a.data = std::move(c);
  }
  return a;
}

Status write_npy(const std::filesystem::path& path, const NpyArray& a) {
  if (a.numel() != int64_t(a.data.size())) return make_error("array data does not match its shape");
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) {
    shape += std::to_string(a.shape[i]);
    if (i + 1 < a.shape.size() || a.shape.size() == 1) shape += ',';
    if (i + 1 < a.shape.size()) shape += ' ';
  }
  shape += ')';
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header + newline: a multiple of 64 bytes.
  header.append(63 - (10 + header.size()) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += char(header.size() & 0xFF);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size() * 4);
  return write_file_atomically(path, out);
}

}  // namespace la3d
