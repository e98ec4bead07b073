// Time to verdict on the lab (issue 11): from Run to the right top finding showing in the Findings
// panel, and to the end of the run, per scenario, for the built-in plan over SSH through the GUI's
// own code path (offscreen). Measured against a baseline in the same run: the plan's own order with
// finished samples only (MainWindow::setEarlyVerdict(false), what the workbench did before). "The
// right top finding showing" means the one the lab tests expect (tests/integration/labfixture.h),
// shown from then on until the run's final verdict; "none" for healthy. Needs root and the lab
// (tests/lab/lab up); otherwise it says so and exits 0.
//
//   build/release/tests/bench/bench_verdict [SCENARIO...]
#include "connectdialog.h"
#include "findingspanel.h"
#include "labfixture.h"
#include "mainwindow.h"
#include "transport/sshtransport.h"

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTimer>

#include <cstdio>

using namespace nestscope;

namespace {

struct Measure {
    double verdictS = -1; ///< when the right top finding showed for good; -1: it never did
    double endS = -1; ///< when the run finished
    QString final; ///< the top finding at the end
    QStringList trace; ///< what the panel showed first, when ("2.4 s firewall-forward-drop")
};

QString topOf(const Diagnosis &d)
{
    if (d.verdict == Diagnosis::Verdict::NoData) {
        return {};
    }
    return d.findings.isEmpty() ? QStringLiteral("none") : d.findings.first().id;
}

Measure measure(const QString &scenario, bool early)
{
    Measure m;
    MainWindow w;
    w.setEarlyVerdict(early);
    SshTarget target;
    target.host = QStringLiteral("nestscope-lab");
    target.configFile = nestscope::test::kLabSshConfig;
    QSignalSpy changed(w.connection(), &RunnerConnection::transportChanged);
    w.connection()->connectTo(target);
    // the workbench switches to the runner once it has connected (never to one it could not reach)
    if (changed.isEmpty()) {
        changed.wait(60000);
    }
    auto *ssh = changed.isEmpty() ? nullptr : qobject_cast<SshTransport *>(changed.first().at(0).value<Transport *>());
    if (!ssh || ssh->state() != SshTransport::State::Connected
        || !w.openPlan(QStringLiteral("builtin:nested-vm-network"), nestscope::test::kLabVars).ok()) {
        std::fprintf(
            stderr, "bench_verdict: %s: could not connect to the lab or open the plan\n", qPrintable(scenario));
        return m;
    }
    const QString expected = nestscope::test::kLabTopFinding.value(scenario);
    QSignalSpy finished(&w, &MainWindow::runFinished);
    QElapsedTimer clock;
    QString shown;
    double rightSince = -1;
    // Polled as a person would see it: what the panel shows, every 20 ms.
    QTimer poll;
    poll.setInterval(20);
    QObject::connect(&poll, &QTimer::timeout, [&] {
        const QString now = topOf(w.findings()->diagnosis());
        if (now != shown) {
            shown = now;
            rightSince = now == expected ? double(clock.elapsed()) / 1000.0 : -1;
            m.trace << QStringLiteral("%1 s %2").arg(double(clock.elapsed()) / 1000.0, 0, 'f', 1).arg(now);
        }
    });
    clock.start();
    poll.start();
    w.runAction()->trigger();
    if (!finished.wait(300000)) {
        std::fprintf(stderr, "bench_verdict: %s: the run did not finish in 300 s\n", qPrintable(scenario));
        return m;
    }
    m.endS = double(clock.elapsed()) / 1000.0;
    // The final verdict: once the topology snapshot has joined the run (at most 60 s more).
    QElapsedTimer wait;
    wait.start();
    while (w.findings()->diagnosis().verdict == Diagnosis::Verdict::NoData && wait.elapsed() < 60000) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    QCoreApplication::processEvents();
    poll.stop();
    m.final = topOf(w.findings()->diagnosis());
    if (m.final == expected && shown == expected) {
        m.verdictS = rightSince;
    }
    return m;
}

QString seconds(double s)
{
    return s < 0 ? QStringLiteral("never") : QString::number(s, 'f', 1);
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStringList scenarios = app.arguments().mid(1);
    if (scenarios.isEmpty()) {
        scenarios = nestscope::test::kLabTopFinding.keys();
    }
    const nestscope::test::LabUp lab = nestscope::test::bringUpLab();
    if (lab.outcome != nestscope::test::LabUp::Outcome::Up) {
        std::printf("bench_verdict: skipped: %s\n", qPrintable(lab.reason));
        return 0;
    }
    std::printf("time to verdict, built-in plan over SSH, GUI code path; baseline = plan order, finished samples "
                "only\n");
    std::printf("%-18s %-24s %12s %10s %12s %10s %8s\n", "scenario", "top finding", "base verdict", "base end",
        "verdict", "end", "ratio");
    int worse = 0;
    for (const QString &scenario : std::as_const(scenarios)) {
        QString out;
        if (!nestscope::test::labCommand({ QStringLiteral("scenario"), scenario }, &out, 120000)) {
            std::fprintf(stderr, "bench_verdict: lab scenario %s failed:\n%s\n", qPrintable(scenario), qPrintable(out));
            return 1;
        }
        nestscope::test::waitForInstanceNetwork(scenario);
        const Measure base = measure(scenario, false);
        const Measure now = measure(scenario, true);
        const bool ok = now.verdictS >= 0 && now.verdictS <= 5.0;
        worse += ok ? 0 : 1;
        std::printf("%-18s %-24s %12s %10s %12s %10s %8s%s\n", qPrintable(scenario),
            qPrintable(nestscope::test::kLabTopFinding.value(scenario)), qPrintable(seconds(base.verdictS)),
            qPrintable(seconds(base.endS)), qPrintable(seconds(now.verdictS)), qPrintable(seconds(now.endS)),
            base.verdictS > 0 && now.verdictS > 0 ? qPrintable(QString::number(base.verdictS / now.verdictS, 'f', 1))
                                                  : "-",
            ok ? "" : qPrintable(QStringLiteral("  over 5 s; shown: %1").arg(now.trace.join(QStringLiteral(", ")))));
        std::fflush(stdout);
    }
    QString out;
    nestscope::test::labCommand({ QStringLiteral("scenario"), QStringLiteral("healthy") }, &out, 120000);
    std::printf("%d of %lld scenarios over the 5 s target\n", worse, qlonglong(scenarios.size()));
    return 0;
}
