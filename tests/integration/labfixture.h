#pragma once

// What the lab-labelled tests share: running tests/lab/lab, and bringing the lab up once per test
// binary (see tests/lab/README.md). Header-only: each lab test is its own executable.

#include <QProcess>
#include <QString>
#include <QStringList>

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
