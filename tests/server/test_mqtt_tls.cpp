// MQTT over TLS with a user name and password, against Debian's mosquitto with a certificate
// authority made by the test (openssl): the right CA and password connect, a wrong password
// does not (its events wait in the queue).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "la3d/server/mqtt.hpp"
#include "test_util.hpp"

namespace la3d {
namespace {

using namespace std::chrono_literals;

template <class F>
bool within(std::chrono::milliseconds timeout, F done) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
  return done();
}

TEST(MqttTls, ConnectsWithTheCaAndPasswordAndNotWithAWrongOne) {
  for (const char* tool : {"mosquitto", "mosquitto_sub", "mosquitto_passwd", "openssl"})
    if (test::run(std::string("command -v ") + tool + " >/dev/null").exit_code != 0)
      GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh)";
  test::TempDir d;
  const std::string q = test::quote(d.path());
  // A CA, and a broker certificate it signs for 127.0.0.1.
  auto r =
      test::run("cd " + q +
                " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 "
                "-subj /CN=la3d-test-ca 2>&1"
                " && openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr "
                "-subj /CN=127.0.0.1 2>&1"
                " && printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"
                " && openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
                "-out broker.crt -days 1 -extfile san.ext 2>&1"
                " && mosquitto_passwd -b -c pw la3d s3cret-pass 2>&1 && chmod 600 pw");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const int port = test::free_loopback_port();
  std::ofstream(d / "m.conf") << "listener " << port << " 127.0.0.1\n"
                              << "cafile " << (d / "ca.crt").string() << "\n"
                              << "certfile " << (d / "broker.crt").string() << "\n"
                              << "keyfile " << (d / "broker.key").string() << "\n"
                              << "allow_anonymous false\npassword_file " << (d / "pw").string()
                              << "\n"
                              // Started as root, mosquitto would become user mosquitto, who
                              // cannot read the test's private folder.
                              << (::getuid() == 0 ? "user root\n" : "");
  r = test::run("(exec stdbuf -oL mosquitto -v -c " + test::quote(d / "m.conf") + ") > " +
                test::quote(d / "broker.log") + " 2>&1 & echo $!");
  const int broker = std::atoi(r.out.c_str());
  ASSERT_TRUE(within(10s, [&] {
    return test::run("grep -q 'running' " + test::quote(d / "broker.log")).exit_code == 0;
  }));
  r = test::run("(exec mosquitto_sub -h 127.0.0.1 -p " + std::to_string(port) + " --cafile " +
                test::quote(d / "ca.crt") + " -u la3d -P s3cret-pass -t 'tls/#' -v) > " +
                test::quote(d / "sub.txt") + " 2>&1 & echo $!");
  const int sub = std::atoi(r.out.c_str());

  MqttOptions o;
  o.url = "mqtts://127.0.0.1:" + std::to_string(port) + "/tls";
  o.camera = "cam";
  o.ca_file = d / "ca.crt";
  o.username = "la3d";
  o.password = "s3cret-pass";
  auto good = MqttPublisher::open(o);
  ASSERT_TRUE(good) << good.error().message;
  EXPECT_TRUE(within(20s, [&] { return good.value()->counters().connected; }))
      << test::run("cat " + test::quote(d / "broker.log") + " " + test::quote(d / "m.conf")).out;
  auto received = [&] {
    std::ifstream f(d / "sub.txt");
    std::string all((std::istreambuf_iterator<char>(f)), {});
    return all.find("tls/cam/event {\"id\":1}") != std::string::npos;
  };
  // The subscriber may still be connecting: publish until it has one.
  EXPECT_TRUE(within(10s, [&] {
    good.value()->event({{"id", 1}});
    std::this_thread::sleep_for(200ms);
    return received();
  }));

  o.password = "wrong";
  o.camera = "other";
  auto bad = MqttPublisher::open(o);
  ASSERT_TRUE(bad);  // the settings are fine; the broker says no, again and again
  bad.value()->event({{"id", 2}});
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(bad.value()->counters().connected);
  EXPECT_EQ(bad.value()->counters().events_waiting, 1);
  o.ca_file = d / "missing.crt";
  EXPECT_FALSE(MqttPublisher::open(o));  // an unreadable CA file is refused at once
  bad.value().reset();
  good.value().reset();
  ::kill(sub, SIGTERM);
  ::kill(broker, SIGTERM);
}

}  // namespace
}  // namespace la3d
