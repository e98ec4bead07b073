#pragma once

// What the lab-labelled tests share: running tests/lab/lab, and bringing the lab up once per test
// binary (see tests/lab/README.md). Header-only: each lab test is its own executable.

#include <QElapsedTimer>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QThread>

#include <unistd.h>

namespace nestscope::test {

inline const QString kLabScript = QStringLiteral(NESTSCOPE_SOURCE_DIR "/tests/lab/lab");
inline const QString kLabSshConfig = QStringLiteral("/var/lib/nestscope-lab/ssh/config");
inline const QString kLabState = QStringLiteral("/var/lib/nestscope-lab");

/// Runs `tests/lab/lab ARGS...`; true when it exited 0. stdin is /dev/null: a command that reads
/// stdin must not wait on us.
inline bool labCommand(const QStringList &args, QString *output, int timeoutMs = 300000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(kLabScript, args);
    const bool finished = p.waitForFinished(timeoutMs);
    *output = QString::fromUtf8(p.readAll());
    return finished && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

/// The lab's internet: every endpoint of the built-in plan points into the zone lab.test.
inline const QMap<QString, QString> kLabVars {
    { QStringLiteral("dns_name"), QStringLiteral("www.lab.test") },
    { QStringLiteral("web_host"), QStringLiteral("www.lab.test") },
    { QStringLiteral("http_url"), QStringLiteral("http://www.lab.test/") },
    { QStringLiteral("https_url"), QStringLiteral("https://www.lab.test/") },
    { QStringLiteral("ping_host"), QStringLiteral("www.lab.test") },
    { QStringLiteral("registry_url"), QStringLiteral("https://registry.lab.test/v2/") },
    { QStringLiteral("bulk_base"), QStringLiteral("https://www.lab.test/bytes/") },
};

// What the diagnosis must name first in each scenario ("none": no finding at all).
inline const QMap<QString, QString> kLabTopFinding {
    { QStringLiteral("healthy"), QStringLiteral("none") },
    { QStringLiteral("ipv6-only"), QStringLiteral("ipv6-only-no-uplink") },
    { QStringLiteral("forward-drop"), QStringLiteral("firewall-forward-drop") },
    { QStringLiteral("docker-user-drop"), QStringLiteral("firewall-forward-drop") },
    { QStringLiteral("nft-forward-drop"), QStringLiteral("firewall-forward-drop") },
    { QStringLiteral("nat-off"), QStringLiteral("nat-missing-ipv4") },
    { QStringLiteral("ip-forward-off"), QStringLiteral("ip-forward-off") },
    { QStringLiteral("dns-down"), QStringLiteral("bridge-dns-down") },
    { QStringLiteral("subnet-route"), QStringLiteral("route-overlaps-bridge") },
    { QStringLiteral("instance-no-dhcp"), QStringLiteral("instance-no-address") },
    { QStringLiteral("runner-offline"), QStringLiteral("runner-uplink-down") },
    { QStringLiteral("mtu-blackhole"), QStringLiteral("path-mtu-black-hole") },
    { QStringLiteral("policy-rule"), QStringLiteral("policy-rule-diverts") },
    { QStringLiteral("proxy-only"), QStringLiteral("proxy-missing-in-instances") },
};

/// Right after `up` or a switch, SLAAC and duplicate detection take a few seconds. Waits (at most
/// 60 s) until each instance has a usable IPv6 address and route, as every scenario gives them
/// (but instance-no-dhcp's vm2); if it never happens the caller's checks say what is missing.
inline void waitForInstanceNetwork(const QString &scenario)
{
    const QString vms
        = scenario == QLatin1String("instance-no-dhcp") ? QStringLiteral("vm1") : QStringLiteral("vm1 vm2");
    // both families' default routes, except where the scenario takes IPv4 away
    const QString v4 = scenario == QLatin1String("ipv6-only")
        ? QString()
        : QStringLiteral("ip -4 route show default | grep -q default && ");
    const QString check
        = QStringLiteral("for vm in %1; do lxc exec $vm -- sh -c '%2ip -6 route show default | grep -q default && "
                         "ip -6 -o addr show scope global -tentative -dadfailed | grep -q inet6' || exit 1; done")
              .arg(vms, v4);
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 60000) {
        QProcess p;
        p.setStandardInputFile(QProcess::nullDevice());
        p.start(QStringLiteral("ssh"), { QStringLiteral("-F"), kLabSshConfig, QStringLiteral("nestscope-lab"), check });
        if (p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0) {
            return;
        }
        QThread::msleep(500); // polling an external system, not synchronising with our own code
    }
    qWarning("the instances had no usable IPv6 address and default routes after 60 s");
}

/// Whether the lab is up, and if not why and what the test should do about it.
struct LabUp {
    enum class Outcome { Up, Skip, Fail } outcome = Outcome::Up;
    QString reason;
};

/// Brings the lab up (idempotent). Needs root; without it the test skips, except under CI=true,
/// where a lab that cannot run fails the run. An `up` from nothing that fails half way (seen once
/// on a loaded machine) is tried once more from a clean state; the first log is kept.
inline LabUp bringUpLab()
{
    const bool ci = qgetenv("CI") == "true";
    if (::geteuid() != 0) {
        return ci ? LabUp { LabUp::Outcome::Fail,
            QStringLiteral("the lab needs root, and CI=true requires the lab tests to run") }
                  : LabUp { LabUp::Outcome::Skip, QStringLiteral("the lab needs root (sudo ctest -L lab)") };
    }
    QString out;
    bool up = labCommand({ QStringLiteral("up") }, &out);
    if (!up) {
        QString down;
        QString again;
        labCommand({ QStringLiteral("down") }, &down);
        up = labCommand({ QStringLiteral("up") }, &again);
        qWarning("first lab up failed, retried after down (%s):\n%s", up ? "now up" : "failed again",
            qPrintable(out.right(3000)));
        out += again;
    }
    if (up) {
        return {};
    }
    return ci ? LabUp { LabUp::Outcome::Fail, QStringLiteral("the lab did not come up:\n") + out }
              : LabUp { LabUp::Outcome::Skip,
                    QStringLiteral("the lab did not come up (is LXD installed?):\n") + out.right(2000) };
}

} // namespace nestscope::test

/// In a test's initTestCase(): bring the lab up, or skip / fail the way bringUpLab() says.
#define NESTSCOPE_REQUIRE_LAB()                                                                                        \
    do {                                                                                                               \
        const nestscope::test::LabUp lab_ = nestscope::test::bringUpLab();                                             \
        if (lab_.outcome == nestscope::test::LabUp::Outcome::Fail) {                                                   \
            QFAIL(qPrintable(lab_.reason));                                                                            \
        }                                                                                                              \
        if (lab_.outcome == nestscope::test::LabUp::Outcome::Skip) {                                                   \
            QSKIP(qPrintable(lab_.reason));                                                                            \
        }                                                                                                              \
    } while (false)
