// Per-command cost over SSH: Nestscope's transport against OpenSSH, on the same private sshd.
//   (a) Nestscope, one command at a time        (b) Nestscope, 8 in flight
//   (c) OpenSSH ControlMaster (`ssh -S`)         (d) a fresh `ssh` per command
//   (e), (f) as (a), (b) but through persistent shells (SshTarget::persistentShells)
//   (g), (h) exec channels vs persistent shells when the login shell's rc file takes 0.2 s
// Targets from issue 3: (a) <= 0.5 x (c); (a) >= 20x faster than (d); throughput (b) >= 2 x (a).
// Usage: bench_ssh [COUNT]   (default 200)

#include "sshserver.h"
#include "transport/sshtransport.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QProcess>
#include <QTextStream>

#include <algorithm>
#include <numeric>

using namespace nestscope;
using nestscope::test::SshServer;

namespace {

QTextStream out(stdout);

struct Series {
    QString name;
    QList<double> ms; ///< per command, as the caller saw it
    double totalMs = 0;

    double mean() const { return ms.isEmpty() ? 0 : std::accumulate(ms.begin(), ms.end(), 0.0) / ms.size(); }
    double percentile(double p) const
    {
        if (ms.isEmpty()) {
            return 0;
        }
        QList<double> s = ms;
        std::sort(s.begin(), s.end());
        return s.at(std::min<qsizetype>(s.size() - 1, static_cast<qsizetype>(p * s.size())));
    }
    /// Wall time per command for the whole series (what throughput is made of).
    double perCommand() const { return ms.isEmpty() ? 0 : totalMs / ms.size(); }
};

Series nestscopeRun(SshTransport &transport, int count, int inFlight, const QString &name)
{
    Series s;
    s.name = name;
    QEventLoop loop;
    int started = 0;
    int done = 0;
    int failures = 0;
    QElapsedTimer total;
    std::function<void()> startOne = [&] {
        CommandRequest request;
        request.command = QStringLiteral("true");
        QElapsedTimer *clock = new QElapsedTimer;
        clock->start();
        CommandJob *job = transport.start(request);
        ++started;
        QObject::connect(job, &CommandJob::finished, &loop, [&, clock](const CommandResult &r) {
            s.ms << clock->nsecsElapsed() / 1e6;
            delete clock;
            if (r.outcome != CommandOutcome::Exited || r.exitCode != 0) {
                ++failures;
                out << "  failed: " << toText(r.outcome) << " " << r.errorString << "\n";
            }
            if (++done == count) {
                loop.quit();
            } else if (started < count) {
                startOne();
            }
        });
    };
    total.start();
    for (int i = 0; i < std::min(inFlight, count); ++i) {
        startOne();
    }
    loop.exec();
    s.totalMs = total.nsecsElapsed() / 1e6;
    if (failures) {
        out << "  " << failures << " commands failed\n";
    }
    return s;
}

Series opensshRun(const QStringList &baseArgs, int count, const QString &name)
{
    Series s;
    s.name = name;
    QElapsedTimer total;
    total.start();
    for (int i = 0; i < count; ++i) {
        QElapsedTimer clock;
        clock.start();
        QProcess ssh;
        ssh.start(QStringLiteral("ssh"), baseArgs + QStringList { QStringLiteral("true") });
        ssh.waitForFinished(30000);
        if (ssh.exitStatus() != QProcess::NormalExit || ssh.exitCode() != 0) {
            out << "  ssh failed: " << ssh.readAllStandardError() << "\n";
        }
        s.ms << clock.nsecsElapsed() / 1e6;
    }
    s.totalMs = total.nsecsElapsed() / 1e6;
    return s;
}

void print(const Series &s)
{
    out << QStringLiteral("%1  mean %2 ms  median %3 ms  p95 %4 ms  wall/command %5 ms  (%6 commands/s)\n")
               .arg(s.name.leftJustified(34))
               .arg(s.mean(), 7, 'f', 2)
               .arg(s.percentile(0.5), 7, 'f', 2)
               .arg(s.percentile(0.95), 7, 'f', 2)
               .arg(s.perCommand(), 7, 'f', 2)
               .arg(1000.0 / s.perCommand(), 0, 'f', 0);
    out.flush();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int count = argc > 1 ? std::max(1, QString::fromLocal8Bit(argv[1]).toInt()) : 200;

    SshServer server;
    if (!server.start()) {
        out << "cannot start sshd: " << server.error() << "\n";
        return 1;
    }
    const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
    {
        QFile f(knownHosts);
        if (!f.open(QIODevice::WriteOnly) || f.write(server.knownHostsLine()) < 0) {
            return 1;
        }
    }
    out << "sshd " << server.user() << "@127.0.0.1:" << server.port() << ", " << count << " x `true` per series\n";

    SshTarget target;
    target.host = QStringLiteral("127.0.0.1");
    target.port = server.port();
    target.user = server.user();
    target.identityFile = server.clientKey();
    target.configFile = server.emptyConfig();
    target.knownHostsFile = knownHosts;
    target.maxChannels = 8;
    qunsetenv("SSH_AUTH_SOCK");
    SshTransport transport(target);
    nestscopeRun(transport, 5, 1, QStringLiteral("warm-up")); // connect once; not measured

    const Series a = nestscopeRun(transport, count, 1, QStringLiteral("(a) Nestscope, sequential"));
    print(a);
    const Series b = nestscopeRun(transport, count, 8, QStringLiteral("(b) Nestscope, 8 in flight"));
    print(b);

    // The same through persistent shells (one `sh` per slot, commands written to its stdin).
    SshTarget shellTarget = target;
    shellTarget.persistentShells = true;
    SshTransport shells(shellTarget);
    nestscopeRun(shells, 10, 8, QStringLiteral("warm-up"));
    const Series e = nestscopeRun(shells, count, 1, QStringLiteral("(e) Nestscope shells, sequential"));
    print(e);
    const Series f = nestscopeRun(shells, count, 8, QStringLiteral("(f) Nestscope shells, 8 in flight"));
    print(f);

    const QStringList common { QStringLiteral("-F"), QStringLiteral("/dev/null"), QStringLiteral("-o"),
        QStringLiteral("BatchMode=yes"), QStringLiteral("-o"), QStringLiteral("UserKnownHostsFile=") + knownHosts,
        QStringLiteral("-o"), QStringLiteral("StrictHostKeyChecking=yes"), QStringLiteral("-i"), server.clientKey(),
        QStringLiteral("-p"), QString::number(server.port()), QStringLiteral("-l"), server.user(),
        QStringLiteral("127.0.0.1") };
    const QString controlPath = server.dir() + QStringLiteral("/cm.sock");
    QProcess master;
    master.start(QStringLiteral("ssh"),
        QStringList { QStringLiteral("-M"), QStringLiteral("-S"), controlPath, QStringLiteral("-N") } + common);
    for (int i = 0; i < 100 && !QFile::exists(controlPath); ++i) {
        master.waitForFinished(50);
    }
    const Series c = opensshRun(QStringList { QStringLiteral("-S"), controlPath } + common, count,
        QStringLiteral("(c) OpenSSH ControlMaster, ssh -S"));
    print(c);
    master.terminate();
    master.waitForFinished(3000);
    const Series d = opensshRun(common, count, QStringLiteral("(d) OpenSSH, fresh ssh per command"));
    print(d);

    // A login shell whose rc file takes 0.2 s (Debian's bash reads ~/.bashrc for every command
    // sshd runs): what exec channels and persistent shells cost then. Needs root for the user.
    {
        SshServer slow;
        SshServer::Options options;
        options.bashrc = QByteArray("sleep 0.2\n");
        if (slow.start(options)) {
            const QString slowKnownHosts = slow.dir() + QStringLiteral("/known_hosts");
            QFile f(slowKnownHosts);
            if (f.open(QIODevice::WriteOnly)) {
                f.write(slow.knownHostsLine());
                f.close();
            }
            SshTarget slowTarget = target;
            slowTarget.port = slow.port();
            slowTarget.user = slow.user();
            slowTarget.identityFile = slow.clientKey();
            slowTarget.knownHostsFile = slowKnownHosts;
            const int slowCount = std::min(count, 50);
            out << "\nlogin shell bash with a ~/.bashrc that sleeps 0.2 s, " << slowCount << " x `true`:\n";
            SshTransport slowExec(slowTarget);
            nestscopeRun(slowExec, 1, 1, QStringLiteral("warm-up"));
            const Series g = nestscopeRun(slowExec, slowCount, 1, QStringLiteral("(g) exec channels, sequential"));
            print(g);
            slowTarget.persistentShells = true;
            SshTransport slowShells(slowTarget);
            nestscopeRun(slowShells, 1, 1, QStringLiteral("warm-up"));
            const Series h
                = nestscopeRun(slowShells, slowCount, 1, QStringLiteral("(h) persistent shells, sequential"));
            print(h);
            out << QStringLiteral("(g)/(h) = %1x\n").arg(g.perCommand() / h.perCommand(), 0, 'f', 0);
        } else {
            out << "\n(slow login shell series skipped: " << slow.error() << ")\n";
        }
    }

    const double ac = a.perCommand() / c.perCommand();
    const double da = d.perCommand() / a.perCommand();
    const double ba = a.perCommand() / b.perCommand();
    out << "\n";
    out << QStringLiteral("(a)/(c) = %1   target <= 0.50  %2\n")
               .arg(ac, 0, 'f', 3)
               .arg(ac <= 0.5 ? QLatin1String("met") : QLatin1String("MISSED"));
    out << QStringLiteral("(d)/(a) = %1x  target >= 20x   %2\n")
               .arg(da, 0, 'f', 1)
               .arg(da >= 20 ? QLatin1String("met") : QLatin1String("MISSED"));
    out << QStringLiteral("throughput (b)/(a) = %1x  target >= 2x  %2\n")
               .arg(ba, 0, 'f', 2)
               .arg(ba >= 2 ? QLatin1String("met") : QLatin1String("MISSED"));
    out << QStringLiteral("persistent shells: (e)/(a) = %1, (f)/(b) = %2 (below 1 = faster than exec channels)\n")
               .arg(e.perCommand() / a.perCommand(), 0, 'f', 2)
               .arg(f.perCommand() / b.perCommand(), 0, 'f', 2);
    out.flush();
    return (ac <= 0.5 && da >= 20 && ba >= 2) ? 0 : 2;
}
