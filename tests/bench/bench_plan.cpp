// Benchmark: a plan of 50 short probes x (runner + 2 instances) x 5 repetitions against the lab,
// over one SSH connection. Compared in the same run with
//   (a) the ideal: every command packed perfectly into the parallel slots the limits allow,
//       i.e. the largest of: the longest single sample, max over targets of (that target's sample
//       times / target concurrency), and all sample times / global concurrency;
//   (b) what tools that open a connection per check do: `ssh host 'cmd'` for the runner and
//       `ssh host lxc exec vmN -- sh -c 'cmd'` for the instances, one after the other. (b) runs
//       one repetition (150 commands) and is scaled to the plan's 750 samples.
// Targets: Nestscope <= 1.2 x (a), and >= 10 x faster than (b).
// Needs the lab: sudo tests/lab/lab up; then build/release/tests/bench/bench_plan
#include "common/shellquote.h"
#include "plan/planrunner.h"
#include "plan/targetsetup.h"
#include "transport/sshtransport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

using namespace nestscope;

namespace {

const QString kConfig = QStringLiteral("/var/lib/nestscope-lab/ssh/config");

QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

Plan makePlan()
{
    Plan plan;
    plan.name = QStringLiteral("bench: 50 short probes");
    plan.targets = { QStringLiteral("runner"), QStringLiteral("vm1"), QStringLiteral("vm2") };
    plan.concurrency = 8;
    plan.targetConcurrency = 4;
    const QStringList commands { QStringLiteral("true"), QStringLiteral("echo ok"), QStringLiteral("cat /etc/hostname"),
        QStringLiteral("ip -4 route show default"), QStringLiteral("grep -c nameserver /etc/resolv.conf") };
    for (int i = 0; i < 50; ++i) {
        Probe p;
        p.id = QStringLiteral("p%1").arg(i, 2, 10, QLatin1Char('0'));
        p.kind = ProbeKind::Shell;
        p.command = commands.at(i % commands.size());
        p.expectExit = 0;
        p.timeout = std::chrono::seconds(20);
        p.repeat = 5;
        plan.probes << p;
    }
    return plan;
}

bool waitFor(QObject *sender, const char *signal, int timeoutMs)
{
    QEventLoop loop;
    QObject::connect(sender, signal, &loop, SLOT(quit()));
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    QElapsedTimer t;
    t.start();
    loop.exec();
    return t.elapsed() < timeoutMs;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (!QFile::exists(kConfig)) {
        std::fprintf(
            stderr, "bench_plan: the lab is not up (%s missing); run: sudo tests/lab/lab up\n", qPrintable(kConfig));
        return 2;
    }
    SshTarget target;
    target.host = QStringLiteral("nestscope-lab");
    target.configFile = kConfig;
    SshTransport ssh(target);
    ssh.connectToHost();
    QElapsedTimer clock;
    clock.start();
    while (ssh.state() != SshTransport::State::Connected && ssh.state() != SshTransport::State::Failed
        && clock.elapsed() < 30000) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    }
    if (ssh.state() != SshTransport::State::Connected) {
        std::fprintf(stderr, "bench_plan: cannot connect to the lab: %s\n", qPrintable(ssh.lastError()));
        return 2;
    }

    const Plan plan = makePlan();
    TargetSetup setup;
    setup.start(plan, &ssh);
    if (!waitFor(&setup, SIGNAL(ready()), 30000)) {
        std::fprintf(stderr, "bench_plan: cannot resolve the lab's instances\n");
        return 2;
    }

    PlanRunner runner(setup.plan(), setup.transports());
    clock.restart();
    runner.start();
    if (!waitFor(&runner, SIGNAL(finished(bool)), 600000)) {
        std::fprintf(stderr, "bench_plan: the plan did not finish within 10 minutes\n");
        return 2;
    }
    const double wallMs = double(clock.elapsed());
    const Run &run = runner.run();
    QHash<QString, double> perTarget;
    double longest = 0;
    int passed = 0;
    for (const Sample &s : run.samples) {
        perTarget[s.target] += s.latencyMs;
        longest = std::max(longest, s.latencyMs);
        passed += s.status == SampleStatus::Pass ? 1 : 0;
    }
    double ideal = longest;
    double all = 0;
    for (auto it = perTarget.cbegin(); it != perTarget.cend(); ++it) {
        ideal = std::max(ideal, it.value() / plan.targetConcurrency);
        all += it.value();
    }
    ideal = std::max(ideal, all / plan.concurrency);
    for (const Sample &s : run.samples) {
        if (s.status != SampleStatus::Pass) {
            out() << "  not passed: " << s.probeId << " on " << s.target << ": " << toText(s.status) << " " << s.message
                  << "\n";
        }
    }

    // (b) one connection per check, one repetition, sequential.
    QElapsedTimer loopClock;
    loopClock.start();
    int loopCommands = 0;
    int loopFailures = 0;
    for (const QString &t : setup.plan().targets) {
        for (const Probe &p : plan.probes) {
            const QString remote = t == QLatin1String("runner")
                ? p.command
                : QStringLiteral("lxc exec %1 -- sh -c %2").arg(t, shellQuote(p.command));
            QProcess ssh1;
            ssh1.start(
                QStringLiteral("ssh"), { QStringLiteral("-F"), kConfig, QStringLiteral("nestscope-lab"), remote });
            ssh1.waitForFinished(30000);
            loopFailures += ssh1.exitCode() != 0 ? 1 : 0;
            ++loopCommands;
        }
    }
    const double loopPerCommand = double(loopClock.elapsed()) / loopCommands;
    const double loopScaled = loopPerCommand * double(run.samples.size());

    out() << "bench_plan: " << run.samples.size() << " samples (" << passed << " passed) on "
          << setup.plan().targets.join(QStringLiteral(", ")) << ", concurrency " << plan.concurrency << " ("
          << plan.targetConcurrency << " per target)\n";
    out() << QStringLiteral("  nestscope wall time          %1 ms (%2 ms per sample)\n")
                 .arg(wallMs, 0, 'f', 0)
                 .arg(wallMs / run.samples.size(), 0, 'f', 2);
    out() << QStringLiteral("  (a) ideal                    %1 ms   ratio nestscope/ideal = %2 (target <= 1.2)\n")
                 .arg(ideal, 0, 'f', 0)
                 .arg(wallMs / ideal, 0, 'f', 2);
    out() << QStringLiteral(
        "  (b) ssh per check            %1 ms per command (%2 commands, %3 failed), %4 ms for %5 samples\n")
                 .arg(loopPerCommand, 0, 'f', 1)
                 .arg(loopCommands)
                 .arg(loopFailures)
                 .arg(loopScaled, 0, 'f', 0)
                 .arg(run.samples.size());
    out() << QStringLiteral("      speed-up (b)/nestscope   %1 x (target >= 10)\n").arg(loopScaled / wallMs, 0, 'f', 1);
    out().flush();
    return 0;
}
